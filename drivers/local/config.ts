/**
 * Configuration of the `local` backend:
 * `local: {drives: [/mnt/d1, ...], dataShards, parityShards, blockSize, healIntervalMinutes}`.
 * Parity defaults follow MinIO's by drive count (1 → 0, 2-3 → 1, 4-5 → 2,
 * 6-7 → 3, 8+ → 4); data shards take the remaining drives.
 */
import path from "node:path";
import { z } from "zod";
import { absolutePath } from "../../src/config.ts";
import { KiB, MiB } from "../../src/units.ts";
import { FORBIDDEN_ROOTS, isForbiddenRoot } from "./identity.ts";

/** The Reed-Solomon library's limits (@ronomon/reed-solomon: k ≤ 24, m ≤ 6). */
export const MAX_DATA_SHARDS = 24;
export const MAX_PARITY_SHARDS = 6;
/** k + m at most. */
const MAX_DRIVES = MAX_DATA_SHARDS + MAX_PARITY_SHARDS;

/** MinIO's default parity for an erasure set of `drives` drives. */
export function defaultParity(drives: number): number {
  if (drives <= 1) return 0;
  if (drives <= 3) return 1;
  if (drives <= 5) return 2;
  if (drives <= 7) return 3;
  return 4;
}

/** `1048576`, `1MiB`, `512KiB`: a size in bytes. */
const SIZE_HINT = "expected a size such as 1MiB, 512KiB or 1048576";
const size = z.union(
  [
    z.number({ error: SIZE_HINT }).int(),
    z
      .string()
      .regex(/^\d+\s*(B|KiB|MiB)?$/, SIZE_HINT)
      .transform((text) => {
        const [, digits = "0", unit = "B"] = /^(\d+)\s*(B|KiB|MiB)?$/.exec(text) ?? [];
        return Number(digits) * ({ B: 1, KiB, MiB } as Record<string, number>)[unit]!;
      }),
  ],
  { error: SIZE_HINT },
);

export const localConfigSchema = z
  .strictObject({
    /** Directories the store spreads over, each normally its own volume; order matters. */
    drives: z
      .array(
        absolutePath.refine(
          (p) => !isForbiddenRoot(path.resolve(p)),
          `expected a drive outside ${FORBIDDEN_ROOTS.join(", ")}`,
        ),
        {
          error: "expected a list of absolute paths",
        },
      )
      .min(1, "expected at least one drive")
      .max(MAX_DRIVES, `expected at most ${MAX_DRIVES} drives`),
    dataShards: z
      .number({ error: "expected a whole number" })
      .int()
      .min(1, "expected at least 1")
      .max(MAX_DATA_SHARDS, `expected at most ${MAX_DATA_SHARDS}`)
      .optional(),
    parityShards: z
      .number({ error: "expected a whole number" })
      .int()
      .min(0, "expected 0 or more")
      .max(MAX_PARITY_SHARDS, `expected at most ${MAX_PARITY_SHARDS}`)
      .optional(),
    /** Bytes of the object encoded at a time; each drive gets blockSize / dataShards of it. */
    blockSize: size
      .pipe(
        z
          .number()
          .min(64 * 1024, "expected at least 64KiB")
          .max(16 * MiB, "expected at most 16MiB"),
      )
      .optional(),
    /** Minutes between background heal passes over every object; 0 or absent: none. */
    healIntervalMinutes: z
      .number({ error: "expected a number of minutes" })
      .refine((m) => m === 0 || m >= 1, "expected 0 (off) or at least 1 minute")
      .refine((m) => m <= 35_000, "expected at most 35000 (about 24 days)")
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (config.drives.length > MAX_DRIVES) return; // refused above; the pairwise check below is quadratic
    const seen = new Map<string, number>();
    config.drives.forEach((drive, i) => {
      const normal = path.resolve(drive);
      for (const [other, j] of seen) {
        if (other === normal)
          ctx.addIssue({ code: "custom", path: ["drives", i], message: `expected a drive distinct from drives[${j}]` });
        else if (normal.startsWith(`${other}/`) || other.startsWith(`${normal}/`)) {
          ctx.addIssue({
            code: "custom",
            path: ["drives", i],
            message: `expected a drive not nested with drives[${j}]`,
          });
        }
      }
      seen.set(normal, i);
    });
  })
  .transform((config, ctx) => {
    const n = config.drives.length;
    const parityShards =
      config.parityShards ?? (config.dataShards !== undefined ? n - config.dataShards : defaultParity(n));
    const dataShards = config.dataShards ?? n - parityShards;
    if (dataShards + parityShards !== n) {
      ctx.addIssue({
        code: "custom",
        path: ["dataShards"],
        message: `expected dataShards + parityShards to equal the ${n} drives`,
      });
    } else if (parityShards > dataShards) {
      ctx.addIssue({
        code: "custom",
        path: ["parityShards"],
        message: `expected at most as many parity shards as data shards (${dataShards})`,
      });
    } else if (dataShards > MAX_DATA_SHARDS || dataShards < 1) {
      ctx.addIssue({ code: "custom", path: ["dataShards"], message: `expected 1 to ${MAX_DATA_SHARDS} data shards` });
    }
    return {
      drives: config.drives.map((d) => path.resolve(d)),
      dataShards,
      parityShards,
      blockSize: config.blockSize ?? MiB,
      healIntervalMinutes: config.healIntervalMinutes ?? 0,
    };
  });

/** A validated layout, defaults filled in. */
export type LocalConfig = z.output<typeof localConfigSchema>;
/** What users write (fields optional). */
export type LocalConfigInput = z.input<typeof localConfigSchema>;

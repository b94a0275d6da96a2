/** Configuration of the `local` backend: `local: {drives: [/data]}`. */
import { z } from "zod";
import { absolutePath } from "../../src/config.ts";

export const localConfigSchema = z.strictObject({
  /**
   * Directories the store lives in, each normally its own volume. This version
   * stores whole objects on one drive; erasure coding across several is planned.
   */
  drives: z
    .array(absolutePath, { error: "expected a list of absolute paths" })
    .min(1, "expected at least one drive")
    .max(1, "expected exactly one drive: this version does not yet spread objects over several"),
});

export type LocalConfig = z.infer<typeof localConfigSchema>;

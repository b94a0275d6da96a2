/**
 * Parsing of the artifact's `configuration` string: YAML whose single
 * top-level key names the backend (`local:`, `s3:`, ...), validated against
 * that backend's schema before any I/O. Error texts name the field and what
 * was expected (`local.drives[1]: expected an absolute path`) and never echo
 * a value from the configuration: it may hold a secret.
 */
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { InvalidConfigError } from "./errors.ts";

/** A Kubernetes `SecretKeySelector`, as Argo's artifact repositories write credentials. */
export const secretSelector = z.strictObject({
  name: z.string({ error: "expected the Secret's name" }).min(1, "expected the Secret's name"),
  key: z.string({ error: "expected a key of the Secret" }).min(1, "expected a key of the Secret"),
});
export type SecretSelector = z.infer<typeof secretSelector>;

/** Parses YAML text into a plain value; syntax errors give their line and column, not the text. */
export function parseYaml(text: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const where = ` at line ${line}, column ${col}`;
    // error.code is a fixed vocabulary (BAD_INDENT, MISSING_CHAR, DUPLICATE_KEY, ...): safe to show.
    throw new InvalidConfigError(`configuration is not valid YAML${where}: ${error.code.toLowerCase().replaceAll("_", " ")}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Validates `value` against `schema`; on failure the error lists every problem, each under its field path. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, root: string): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, root, schema));
  throw new InvalidConfigError(problems.join("; "));
}

function describeIssue(issue: z.core.$ZodIssue, root: string, schema: z.ZodType): string[] {
  const where = fieldPath(root, issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(schema, issue.path);
      return issue.keys.map((key) => {
        const hint = closest(key, known);
        return `${where}.${key}: unknown field${hint ? ` (did you mean '${hint}'?)` : ""}`;
      });
    }
    case "invalid_type":
      if (issue.input === undefined) return [`${where}: required field is missing`];
      // Our schemas phrase their own type errors; zod's defaults start with "Invalid input".
      if (!issue.message.startsWith("Invalid input")) return [`${where}: ${issue.message}`];
      return [`${where}: expected ${issue.expected}, got ${describeType(issue.input)}`];
    default:
      return [`${where}: ${issue.message}`];
  }
}

/** `local.drives[1]` from root `local` and path `["drives", 1]`. */
export function fieldPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const segment of path) out += typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`;
  return out;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/** The field names of the object schema found at `path`, for "did you mean" hints. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  for (const segment of [...path, undefined]) {
    for (;;) {
      if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodNullable) node = node.unwrap() as z.ZodType;
      else if (node instanceof z.ZodPipe) node = node.in as z.ZodType; // .transform() wraps the object
      else break;
    }
    if (segment === undefined) break;
    if (node instanceof z.ZodObject) node = node.shape[String(segment)] as z.ZodType | undefined;
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** The known name nearest to `word` (case-insensitive edit distance ≤ 2), if any. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** An absolute filesystem path (relative ones would depend on the server's working directory). */
export const absolutePath = z
  .string({ error: "expected a path" })
  .min(1, "expected a path")
  .refine((value) => value.startsWith("/"), "expected an absolute path")
  .refine((value) => !value.includes("\0"), "expected a path without NUL bytes");

/** A `/`-separated prefix prepended to every key (`keyPrefix`, `blobPrefix`). */
export const keyPrefix = z
  .string({ error: "expected a key prefix" })
  .refine((value) => !value.split("/").includes(".."), "expected a prefix without '..' segments")
  .refine((value) => !value.startsWith("/"), "expected a relative prefix (no leading '/')");

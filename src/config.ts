/**
 * Parsing of the artifact's `configuration` string: YAML whose single
 * top-level key names the backend (`local:`, `s3:`, ...), validated against
 * that backend's schema before any I/O. Error texts name the field and what
 * was expected (`local.drives[1]: expected an absolute path`) and never echo
 * a value from the configuration: it may hold a secret.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { z } from "zod";
import { InvalidConfigError } from "./errors.ts";

/** A Kubernetes `SecretKeySelector`, as Argo's artifact repositories write credentials. */
export const secretSelector = z.strictObject({
  name: z.string({ error: "expected the Secret's name" }).min(1, "expected the Secret's name"),
  key: z.string({ error: "expected a key of the Secret" }).min(1, "expected a key of the Secret"),
});
export type SecretSelector = z.infer<typeof secretSelector>;

/**
 * The namespace a configuration's Secrets are read from through the
 * Kubernetes API: a namespace name, or an Argo expression such as
 * `{{workflow.namespace}}` (Argo substitutes it in workflow pods, but sends
 * it as written to argo-server and GC pods for key-only artifacts).
 */
export const secretsNamespace = z
  .string({ error: "expected a namespace name or {{workflow.namespace}}" })
  .regex(
    /^(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?|\{\{[^{}]{1,100}\}\})$/,
    "expected a namespace name or {{workflow.namespace}}",
  );

/** A real configuration is a few hundred bytes; anything this large is a mistake or an attack. */
export const MAX_CONFIGURATION_BYTES = 64 * 1024;
/**
 * Characters that open a value or an entry (`:` `,` `-` `[` `{` and line ends) a
 * configuration may hold before it is parsed: a full s3 configuration has
 * about 60. The YAML parser costs ~25 µs per entry, so this keeps every parse
 * to a few milliseconds, on the event loop every call shares.
 */
const MAX_STRUCTURE = 256;
/** Values (mappings, lists, scalars) a configuration may hold: a few dozen in practice. */
const MAX_NODES = 500;
/** Alias expansions: bounds a "billion laughs" document. */
const MAX_ALIASES = 20;

/**
 * Parses YAML text into a plain value; syntax errors give their line and
 * column, not the text. Bounded work whatever the input: the size is capped
 * before parsing, duplicate keys are found in one pass (the parser's own
 * check is quadratic: 80,000 keys held a core for a minute), and the number
 * of values and alias expansions is capped.
 */
export function parseYaml(text: string): unknown {
  if (text.length > MAX_CONFIGURATION_BYTES || Buffer.byteLength(text) > MAX_CONFIGURATION_BYTES) {
    throw new InvalidConfigError(
      `configuration is ${Buffer.byteLength(text)} bytes; at most ${MAX_CONFIGURATION_BYTES} are accepted`,
    );
  }
  let structure = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A comment (`#` at a line's start or after a blank) runs to the line's end: not structure.
    if (
      c === 35 &&
      (i === 0 || text.charCodeAt(i - 1) === 10 || text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)
    ) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end - 1;
      continue;
    }
    // : , - [ { and newline
    if ((c === 58 || c === 44 || c === 45 || c === 91 || c === 123 || c === 10) && ++structure > MAX_STRUCTURE) {
      throw new InvalidConfigError(
        `configuration holds too many entries (more than ${MAX_STRUCTURE} separators); a configuration is a few dozen fields`,
      );
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, strict: true, lineCounter });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return ` at line ${line}, column ${col}`;
  };
  const error = doc.errors[0];
  if (error) {
    // error.code is a fixed vocabulary (BAD_INDENT, MISSING_CHAR, ...): safe to show.
    throw new InvalidConfigError(
      `configuration is not valid YAML${at(error.pos[0])}: ${error.code.toLowerCase().replaceAll("_", " ")}`,
    );
  }
  checkShape(doc.contents, at);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (cause) {
    // The yaml package refuses excessive alias expansion with a ReferenceError.
    throw new InvalidConfigError(`configuration expands too many aliases (at most ${MAX_ALIASES})`, { cause });
  }
}

/** One pass over the document: at most MAX_NODES values, and no mapping with a key twice. */
function checkShape(root: Node | null, at: (offset: number) => string): void {
  let nodes = 0;
  const stack: (Node | null | undefined)[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || isAlias(node)) continue;
    if (++nodes > MAX_NODES) throw new InvalidConfigError(`configuration holds more than ${MAX_NODES} values`);
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined) {
          if (seen.has(key))
            throw new InvalidConfigError(
              `configuration is not valid YAML${at((pair.key as Node).range?.[0] ?? 0)}: duplicate key`,
            );
          seen.add(key);
        }
        stack.push(pair.key as Node | null, pair.value as Node | null);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item as Node | null);
    }
  }
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
      if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodNullable)
        node = node.unwrap() as z.ZodType;
      else if (node instanceof z.ZodPipe)
        node = node.in as z.ZodType; // .transform() wraps the object
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

/** How often a transient failure is retried (`maxRetries`): a bound, so a configuration cannot retry for ever. */
export const retries = z
  .number({ error: "expected a number" })
  .int()
  .min(0, "expected 0 or more")
  .max(20, "expected at most 20");

/** Text for messages and logs. */

/** Longest piece of a key or path repeated in an error or a log line. */
const CLIP_CHARS = 256;

/**
 * `value` as it goes into an error or a log line: whole when short, else its
 * start and its length, so a 7 MiB key cannot make a 14 MB log line.
 */
export function clip(value: string, max = CLIP_CHARS): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}… (${Buffer.byteLength(value)} bytes)`;
}

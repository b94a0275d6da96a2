/**
 * Secret redaction. Credential resolution (src/secrets.ts, later backends)
 * registers every secret value it resolves; logs and error texts pass through
 * `redact`, so a provider error that echoes a key or a signed URL cannot leak
 * it. Values shorter than 4 characters are not registered: replacing them
 * would mangle ordinary text and they are no secret worth the name.
 */
const secrets = new Set<string>();

/** Marks a value as secret: it will never appear in a log line or error text. */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value);
}

/** Replaces every registered secret, and credentials embedded in URLs, with `[REDACTED]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("[REDACTED]");
  }
  // user:password@ in URLs, and signature-like query parameters (SAS tokens, presigned URLs).
  return out
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, "$1[REDACTED]@")
    .replace(
      /([?&](?:sig|signature|x-amz-signature|x-goog-signature|x-amz-security-token)=)[^&\s"']+/gi,
      "$1[REDACTED]",
    );
}

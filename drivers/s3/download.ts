/**
 * A download that survives a dropped connection. The SDK retries a GET only
 * until its headers arrive; a reset in the middle of a large body would fail
 * the whole transfer. Here the body is resumed from the byte where it broke,
 * with a ranged GET pinned to the same ETag (a replaced object fails the
 * resume instead of splicing two versions), up to the retry budget, with
 * backoff and jitter. The length is checked at the end: a short body is an
 * error, never a smaller file.
 */
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

export interface DownloadOptions {
  maxRetries: number;
  signal?: AbortSignal;
  /** Folds an error that ends the stream (after the first byte) into the plugin's errors. */
  mapError: (error: unknown) => Error;
}

/** Opens `input` for reading; resolves once the first response's headers have arrived. */
export async function openDownload(client: S3Client, input: GetObjectCommandInput, options: DownloadOptions): Promise<Readable> {
  const first = await client.send(new GetObjectCommand(input), { abortSignal: options.signal });
  const length = first.ContentLength;
  const etag = first.ETag;
  let body = first.Body as Readable;

  async function* resumed(): AsyncGenerator<Buffer> {
    let received = 0;
    let retries = 0;
    for (;;) {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          received += chunk.length;
          yield chunk;
        }
        if (length === undefined || received === length) return;
        throw Object.assign(new Error(`the body ended after ${received} of ${length} bytes`), { code: "ECONNRESET" });
      } catch (error) {
        body.destroy();
        if (!resumable(error) || length === undefined || !etag || retries >= options.maxRetries) throw options.mapError(error);
        retries++;
        try {
          await sleep(Math.random() * Math.min(20_000, 100 * 2 ** retries), undefined, { signal: options.signal });
          const next = await client.send(new GetObjectCommand({ ...input, Range: `bytes=${received}-`, IfMatch: etag }), {
            abortSignal: options.signal,
          });
          body = next.Body as Readable;
        } catch (resumeError) {
          throw options.mapError(resumeError); // 412: the object was replaced while being read
        }
      }
    }
  }

  const stream = Readable.from(resumed(), { objectMode: false, highWaterMark: 1024 * 1024 });
  // Cancelling the stream releases the socket of whichever response is current.
  stream.once("close", () => body.destroy());
  return stream;
}

const RESUMABLE = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "UND_ERR_SOCKET"]);

function resumable(error: unknown): boolean {
  const e = error as { code?: string; name?: string; message?: string };
  if (e.name === "AbortError") return false;
  return RESUMABLE.has(e.code ?? "") || e.message === "aborted" || /socket hang up|premature close/i.test(e.message ?? "");
}

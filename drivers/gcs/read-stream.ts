/**
 * The SDK's download stream (`File.createReadStream`), made safe to use as
 * any stream: quiet about its listeners, and safe to destroy at any moment.
 */
import { EventEmitter } from "node:events";
import { PassThrough, type Readable } from "node:stream";

/** Listeners one download's response body carries: the SDK's, teeny-request's, node-fetch's and ours. */
const RESPONSE_LISTENERS = 32;

/**
 * The SDK, teeny-request and node-fetch each put error and close listeners on
 * a download's response body, and our resumable read and checksum add theirs:
 * 11 or 12 on one body, whatever its size. That is no leak, but Node's default
 * of 10 prints a "possible memory leak" warning for every download into the
 * plugin's log. The body is reached through the stream's `response` event.
 */
export function quietResponse(stream: Readable): Readable {
  stream.once("response", (response: unknown) => {
    if (response instanceof EventEmitter) response.setMaxListeners(RESPONSE_LISTENERS);
  });
  return stream;
}

/**
 * The SDK starts the request when the stream is first read and, when the
 * response arrives, pipes it into the stream it returned. If that stream
 * was destroyed meanwhile (a download cancelled within its first round
 * trip: a user closing the UI's download, a cancelled copy), the SDK's
 * `pipeline` throws inside a promise: an unhandled rejection, which ends
 * the process and every call in it (@google-cloud/storage 7.x, file.js,
 * createReadStream's onResponse). So the caller gets a stream of its own
 * that passes the SDK's chunks on as they are; destroying it destroys the
 * SDK's stream at once if no request is out or its response is in, else
 * just after the response has arrived and the SDK has wired it up. The
 * SDK's own failures still end its stream, and so this one, at once.
 */
export function sdkReadStream(sdk: Readable): Readable {
  quietResponse(sdk);
  let requested = false;
  let answered = false;
  sdk.once("reading", () => {
    requested = true;
  });
  sdk.once("response", () => {
    answered = true;
  });
  const out = new PassThrough({
    objectMode: true, // chunks as they came: no joining copies
    destroy(error, callback) {
      if (!requested || answered) sdk.destroy(error ?? undefined);
      else sdk.once("response", () => setImmediate(() => sdk.destroy()));
      callback(error);
    },
  });
  sdk.on("error", (error) => out.destroy(error));
  sdk.pipe(out);
  return out;
}

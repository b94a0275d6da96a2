/**
 * Byte streams to and from gRPC frames. OpenStream sends frames of at most
 * FRAME_BYTES (Argo's Go client refuses messages over 4 MiB; 1 MiB messages
 * measured 2-4x faster than 64 KiB ones), waiting for the transport to drain
 * so a slow client slows the source instead of filling memory; while many
 * clients are stalled (STALLED_OUTPUT), frames are small. SaveStream's
 * chunks become a Readable that pauses the call when the driver is slow.
 */
import { once } from "node:events";
import { Readable } from "node:stream";
import { SMALL_PIECE_BYTES, STALLED_OUTPUT } from "./concurrency.ts";
import { CancelledError, InvalidRequestError } from "./errors.ts";
import type { Artifact__Output } from "./generated/artifact/Artifact.ts";
import type { OpenStreamResponse } from "./generated/artifact/OpenStreamResponse.ts";
import type { SaveStreamArtifactRequest__Output } from "./generated/artifact/SaveStreamArtifactRequest.ts";
import { ONCE_ENCODED } from "./proto.ts";
import { GatheredBytes } from "./protobuf-encode.ts";
import { MiB } from "./units.ts";

/** The largest OpenStream frame we send: Argo's Go client refuses messages over 4 MiB. */
export const FRAME_BYTES = MiB;

/** A frame's data: one chunk (or a slice of one), or chunks encoded one after another, never joined. */
type FrameData = Buffer | GatheredBytes;

/** The parts of a grpc-js server-streaming call that framing needs. */
export interface FrameSink {
  write(
    frame: OpenStreamResponse & { [ONCE_ENCODED]?: () => void },
    callback?: (error?: Error | null) => void,
  ): boolean;
  readonly cancelled: boolean;
  on(event: "drain" | "cancelled", listener: () => void): unknown;
  removeListener(event: "drain" | "cancelled", listener: () => void): unknown;
}

/**
 * Sends every byte of `source` as data frames, then an empty `is_end` frame
 * (Argo's client drops any data in that frame, so it carries none). Small
 * chunks are gathered into one frame (encoded one after another, never
 * joined into a buffer of their own), large ones sliced. Each chunk goes
 * back to the source through `recycle` (the stream's RECYCLE) once its
 * frame is encoded. Returns the bytes sent.
 */
export async function sendFrames(
  source: AsyncIterable<Buffer>,
  sink: FrameSink,
  recycle?: (chunk: Buffer) => void,
): Promise<number> {
  // grpc-js queues up to 16 messages per call before write() says to wait: 16 MiB a call, whatever
  // the client reads. So each frame is written only once HTTP/2 has taken the one before, and
  // the next is not even read from the source until then. While a frame waits, nothing here
  // refers to its bytes (grpc-js serialised a copy; the chunks are let go), so a stalled call
  // holds that one frame.
  let onCancel: () => void = () => {};
  const cancelled = new Promise<never>((_resolve, reject) => {
    onCancel = () => reject(new CancelledError());
    sink.on("cancelled", onCancel);
  });
  cancelled.catch(() => {}); // raced below; never unhandled
  const framer = new Framer();
  const chunks = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (sink.cancelled) throw new CancelledError();
      // Handed over without a local, so no reference to a chunk outlives this turn.
      if (!framer.add(await chunks.next())) break;
      while (framer.hasFrame()) await writeFrame(sink, framer.take(), cancelled, recycle);
    }
    while (framer.hasFrame()) await writeFrame(sink, framer.take(), cancelled, recycle);
  } finally {
    sink.removeListener("cancelled", onCancel);
  }
  sink.write({ is_end: true });
  return framer.sent;
}

/** Chunks in, frames of at most FRAME_BYTES out. */
class Framer {
  sent = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly frames: FrameData[] = [];

  /** Takes the source's next result; false once it is done (what is pending becomes a frame). */
  add(next: IteratorResult<Buffer>): boolean {
    if (next.done) {
      this.cut();
      return false;
    }
    const chunk = next.value;
    // Small frames while many consumers are stalled: a stalled call then holds a small one.
    const frameBytes = STALLED_OUTPUT.pieceBytes(FRAME_BYTES, SMALL_PIECE_BYTES);
    if (this.pendingBytes >= frameBytes) this.cut();
    for (let offset = 0; offset < chunk.length; ) {
      const take = Math.min(chunk.length - offset, frameBytes - this.pendingBytes);
      this.pending.push(offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
      this.pendingBytes += take;
      offset += take;
      if (this.pendingBytes === frameBytes) this.cut();
    }
    // Forward what we have once a quarter frame is ready rather than waiting for a full one.
    if (this.pendingBytes >= frameBytes / 4) this.cut();
    return true;
  }

  hasFrame(): boolean {
    return this.frames.length > 0;
  }

  take(): FrameData {
    const frame = this.frames.shift() as FrameData;
    this.sent += frame.length;
    return frame;
  }

  private cut(): void {
    if (this.pendingBytes === 0) return;
    this.frames.push(this.pending.length === 1 ? (this.pending[0] as Buffer) : new GatheredBytes(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/**
 * Writes one frame; resolves once HTTP/2 has taken it and the call can take
 * more. Not async, and no callback refers to `data` after it is serialized:
 * the frame's bytes are not kept alive by the wait (and go back to the
 * source, if it takes them back: recycle ignores a slice of a chunk).
 */
function writeFrame(
  sink: FrameSink,
  data: FrameData,
  cancelled: Promise<never>,
  recycle?: (chunk: Buffer) => void,
): Promise<void> {
  let taken: () => void = () => {};
  const written = new Promise<void>((resolve) => (taken = resolve));
  const unwatch = STALLED_OUTPUT.watch(data.length);
  const ready = sink.write(frameOf(data, recycle), () => taken());
  const landed = Promise.race([written, cancelled]);
  landed.then(unwatch, unwatch);
  return ready ? landed : landed.then(() => drained(sink));
}

/**
 * The message for `data` (our codec writes gathered chunks as one bytes
 * field, hence the cast); built apart, so the closure that gives the chunks
 * back once encoded shares no scope with writeFrame's callbacks.
 */
function frameOf(
  data: FrameData,
  recycle?: (chunk: Buffer) => void,
): OpenStreamResponse & { [ONCE_ENCODED]?: () => void } {
  const message = { data: data as Buffer };
  if (!recycle) return message;
  const chunks = data instanceof GatheredBytes ? (data.parts as Buffer[]) : [data];
  return {
    ...message,
    [ONCE_ENCODED]: () => {
      for (const chunk of chunks) recycle(chunk);
    },
  };
}

/** Writes one message of any server stream (the admin service's reports), waiting while the transport is full. */
export async function writeMessage<T>(
  sink: Omit<FrameSink, "write"> & { write(message: T): boolean },
  message: T,
): Promise<void> {
  if (sink.cancelled) throw new CancelledError();
  if (!sink.write(message)) await drained(sink);
}

/** Resolves when the sink can take more, rejects with CancelledError if the client goes away first. */
async function drained(sink: Omit<FrameSink, "write">): Promise<void> {
  const cancelled = new AbortController();
  const onCancel = () => cancelled.abort();
  sink.on("cancelled", onCancel);
  try {
    if (sink.cancelled) throw new CancelledError();
    await once(sink as unknown as NodeJS.EventEmitter, "drain", { signal: cancelled.signal });
  } catch (error) {
    throw cancelled.signal.aborted || sink.cancelled ? new CancelledError() : error;
  } finally {
    sink.removeListener("cancelled", onCancel);
  }
}

/** The metadata frame of a SaveStream call and the content that follows it. */
export interface SaveStreamUpload {
  artifact: Artifact__Output;
  body: Readable;
  /** Bytes the body has yielded so far. */
  received(): number;
}

/**
 * Reads SaveStream's first frame (the artifact, no data) and returns the rest
 * of the call as a byte stream. Empty chunks are skipped. The body ends only
 * when the client half-closes; a cancelled call destroys it with an error, so
 * a driver never commits a cut-off upload.
 */
export async function receiveUpload(
  frames: AsyncIterable<SaveStreamArtifactRequest__Output>,
): Promise<SaveStreamUpload> {
  const iterator = frames[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done)
    throw new InvalidRequestError("SaveStream ended before its first frame, which must carry output_artifact");
  const artifact = first.value.output_artifact;
  if (!artifact) throw new InvalidRequestError("the first SaveStream frame must carry output_artifact");
  const head = first.value.chunk;
  let received = 0;

  const call = frames as { cancelled?: boolean };
  async function* chunks(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    received += head.length;
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        // Node's HTTP/2 client cancels with END_STREAM then RST_STREAM, which grpc-js
        // reports as a half-close and then a cancel: look past the I/O turn before
        // calling the upload complete. (Drivers check the signal again before commit.)
        await new Promise((resolve) => setImmediate(resolve));
        if (call.cancelled) throw new CancelledError();
        return;
      }
      // One call stores one artifact: a second metadata frame is a client bug, not more data.
      if (next.value.output_artifact)
        throw new InvalidRequestError(
          "a SaveStream frame after the first carries output_artifact; one call stores one artifact, and nothing was stored",
        );
      received += next.value.chunk.length;
      if (next.value.chunk.length > 0) yield next.value.chunk;
    }
  }
  return {
    artifact,
    body: Readable.from(chunks(), { objectMode: false, highWaterMark: 4 * MiB }),
    received: () => received,
  };
}

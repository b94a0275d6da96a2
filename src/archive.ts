/**
 * A directory artifact streamed out as a tar.gz, built on the fly: objects
 * are listed and read one at a time into tar-stream, then gzipped in parallel
 * members. Memory stays bounded whatever the size of the directory. Entries
 * are named `<basename of key>/<relative path>`, the shape of the `.tgz`
 * Argo's executor makes, so unpacking gives one folder named like the artifact.
 */
import { availableParallelism } from "node:os";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack as createTarPack } from "tar-stream";
import type { Driver } from "./driver.ts";
import { directoryPrefix, relativeToDirectory } from "./keys.ts";
import { createParallelGzip } from "./parallel-gzip.ts";
import { MiB } from "./units.ts";

export interface TarGzOptions {
  signal?: AbortSignal;
  /** gzip level for compressible data (default 1). */
  level?: number;
}

/** Streams every object under `key/` as a gzipped tar. Errors (a vanished or changed object) fail the stream. */
export function directoryTarGz(driver: Driver, key: string, options: TarGzOptions = {}): Readable {
  const tar = createTarPack();
  const out = new PassThrough({ highWaterMark: MiB });
  const top = path.posix.basename(key);

  const fill = async (): Promise<void> => {
    for await (const object of driver.list(directoryPrefix(key))) {
      options.signal?.throwIfAborted();
      const name = `${top}/${relativeToDirectory(key, object.key)}`;
      const source = await driver.get(object.key, { signal: options.signal });
      const entry = tar.entry({
        name,
        size: object.size,
        mtime: object.modified ?? new Date(),
        mode: 0o644,
        type: "file",
      });
      // tar-stream fails the entry if the object's length differs from the listed size.
      await pipeline(source, entry);
    }
    tar.finalize();
  };
  fill().catch((error: unknown) => tar.destroy(error as Error));

  const gzip = createParallelGzip({ level: options.level ?? 1, concurrency: Math.min(4, availableParallelism()) });
  pipeline(tar, gzip, out).catch((error: unknown) => out.destroy(error as Error));
  return out;
}

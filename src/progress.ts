/**
 * A one-line progress display for long CLI transfers, drawn on stderr only
 * when it is a terminal (never in pipes or logs), at most five times a second.
 */
import { Transform } from "node:stream";
import { MiB } from "./units.ts";

export interface Progress {
  /** A pass-through stream that counts the bytes flowing through it. */
  meter(): Transform;
  /** Sets how many bytes have moved, for a transfer counted elsewhere (the server's). */
  update(moved: number): void;
  /** Clears the line. */
  done(): void;
}

export function createProgress(label: string, total?: number, out: NodeJS.WriteStream = process.stderr): Progress {
  const enabled = out.isTTY === true;
  const started = Date.now();
  let moved = 0;
  let lastDraw = 0;

  const draw = (force = false): void => {
    const now = Date.now();
    if (!enabled || (!force && now - lastDraw < 200)) return;
    lastDraw = now;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const rate = `${(moved / MiB / seconds).toFixed(1)} MiB/s`;
    const amount = total
      ? `${(moved / MiB).toFixed(1)} / ${(total / MiB).toFixed(1)} MiB`
      : `${(moved / MiB).toFixed(1)} MiB`;
    let bar = "";
    if (total) {
      const fraction = Math.min(moved / total, 1);
      const width = 24;
      const filled = Math.round(fraction * width);
      bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    }
    out.write(`\r\x1b[2K${label} ${bar}${amount}  ${rate}`);
  };

  return {
    meter() {
      return new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          moved += chunk.length;
          draw();
          callback(null, chunk);
        },
      });
    },
    update(bytes) {
      moved = bytes;
      draw();
    },
    done() {
      if (!enabled) return;
      draw(true);
      out.write("\n");
    },
  };
}

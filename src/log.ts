/**
 * Structured logs: one JSON object per line on stderr (what log collectors in
 * Kubernetes expect), or `key=value` text with LOG_FORMAT=text. Every string
 * passes through secret redaction; configurations are never logged.
 */
import { redact } from "./redact.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: "json" | "text";
  write?: (line: string) => void;
}

/** A logger configured from LOG_LEVEL and LOG_FORMAT unless told otherwise. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const envLevel = process.env["LOG_LEVEL"]?.toLowerCase();
  const level = options.level ?? (envLevel && envLevel in LEVELS ? (envLevel as LogLevel) : "info");
  const format = options.format ?? (process.env["LOG_FORMAT"] === "text" ? "text" : "json");
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threshold = LEVELS[level];

  const emit = (lvl: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (LEVELS[lvl] < threshold) return;
    const record: Record<string, string | number | boolean> = {
      time: new Date().toISOString(),
      level: lvl,
      msg: redact(msg),
    };
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) record[key] = typeof value === "string" ? redact(value) : value;
    }
    if (format === "json") {
      write(JSON.stringify(record));
    } else {
      write(
        Object.entries(record)
          .map(([k, v]) => `${k}=${typeof v === "string" && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`)
          .join(" "),
      );
    }
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

import pino, { type DestinationStream } from "pino";
import pretty from "pino-pretty";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

export type Logger = {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
};

/** Field names whose values never reach a log line, at the top level or one level down. */
export const REDACTED_FIELDS = [
  "authorization",
  "password",
  "token",
  "refresh_token",
  "cookie",
  "secret",
  "private_key",
];

/**
 * A pino logger: JSON lines on stderr (or `destination`), or human-readable lines with `pretty`; every
 * line carries the service name, and secrets in the fields are replaced by "[redacted]".
 */
export function createLogger(
  service: string,
  level: LogLevel,
  format: LogFormat = "json",
  destination?: DestinationStream,
): Logger {
  const output =
    destination ??
    (format === "pretty"
      ? pretty({ colorize: true, destination: 2, sync: true })
      : pino.destination({ dest: 2, sync: true }));
  const logger = pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`]),
        censor: "[redacted]",
      },
    },
    output,
  );
  const at = (method: "debug" | "info" | "warn" | "error") => (message: string, fields?: LogFields) =>
    fields ? logger[method](fields, message) : logger[method](message);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

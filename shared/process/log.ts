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

/** Field names (any case, any depth) whose values never reach a log line. */
export const SECRET_FIELD =
  /authori[sz]ation|passw|token|secret|cookie|private[_-]?key|api[_-]?key|credential/i;

const URL_PASSWORD = /(\/\/[^/@\s:]*:)[^@\s/]+@/g;

/**
 * A copy of `value` fit for a log line: fields named like secrets are "[redacted]" at any depth, and a
 * password inside a URL (`redis://user:secret@host`) is masked wherever a string carries one.
 */
export function redacted(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.replace(URL_PASSWORD, "$1[redacted]@");
  if (typeof value !== "object" || value === null) return value;
  if (depth > 8) return "[too deep]";
  if (value instanceof Error) return redacted({ name: value.name, message: value.message }, depth);
  if (Array.isArray(value)) return value.map((item) => redacted(item, depth + 1));
  const copy = new Map<string, unknown>();
  for (const [key, field] of Object.entries(value)) {
    copy.set(key, SECRET_FIELD.test(key) ? "[redacted]" : redacted(field, depth + 1));
  }
  return Object.fromEntries(copy);
}

/**
 * A pino logger: JSON lines on stderr (or `destination`), or human-readable lines with `pretty`; every
 * line carries the service name, and secrets in the fields and message are replaced by "[redacted]".
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
    },
    output,
  );
  // The level is checked first: a line below it costs nothing, not even the redaction of its fields.
  const at = (method: "debug" | "info" | "warn" | "error") => (message: string, fields?: LogFields) => {
    if (!logger.isLevelEnabled(method)) return;
    if (fields) logger[method](redacted(fields) as LogFields, redacted(message) as string);
    else logger[method](redacted(message) as string);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

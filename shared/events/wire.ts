import {
  CURRENT_VERSIONS,
  type DomainEvent,
  EVENT_TYPES,
  type EventType,
  eventOf,
  PAYLOAD_SCHEMAS,
  UPCASTERS,
} from "./schemas";

/**
 * The stream entry format. `EventTypeName` and `Payload` are the legacy system's fields (its consumers
 * read only those); the others are ours and optional on read, since legacy producers do not write them.
 */
export const FIELD = {
  type: "EventTypeName",
  payload: "Payload",
  eventId: "EventId",
  version: "EventVersion",
  occurredAt: "OccurredAt",
} as const;

/** An event as we publish it: the domain event plus its identity and time. */
export type EventEnvelope = {
  eventId: string;
  version: number;
  occurredAt: string;
  event: DomainEvent;
};

/** One entry as Redis returns it: the stream ID and the flat field/value list. */
export type RawEntry = { id: string; fields: string[] };

export type DecodedEntry =
  | {
      ok: true;
      streamId: string;
      eventId: string | null;
      version: number;
      occurredAt: string | null;
      event: DomainEvent;
      fields: Record<string, string>;
    }
  | { ok: false; streamId: string; reason: string; fields: Record<string, string> };

/** Flat field/value list for XADD; Payload is JSON with snake_case keys, as the legacy consumers expect. */
export function encodeEnvelope(envelope: EventEnvelope): string[] {
  return [
    FIELD.type,
    envelope.event.type,
    FIELD.payload,
    JSON.stringify(envelope.event.payload),
    FIELD.eventId,
    envelope.eventId,
    FIELD.version,
    String(envelope.version),
    FIELD.occurredAt,
    envelope.occurredAt,
  ];
}

/** Parses an entry through the event schemas; anything that does not fit is a reason, never an exception. */
export function decodeEntry(entry: RawEntry): DecodedEntry {
  const fields: Record<string, string> = {};
  const repeated: string[] = [];
  for (let i = 0; i + 1 < entry.fields.length; i += 2) {
    const name = entry.fields[i] as string;
    if (Object.hasOwn(fields, name)) repeated.push(name);
    fields[name] = entry.fields[i + 1] as string;
  }
  const reject = (reason: string): DecodedEntry => ({ ok: false, streamId: entry.id, reason, fields });

  if (repeated.length > 0) return reject(`field repeated: ${repeated.join(", ")}`);
  const type = fields[FIELD.type];
  if (type === undefined) return reject(`missing field ${FIELD.type}`);
  if (!(EVENT_TYPES as readonly string[]).includes(type)) return reject(`unknown event type "${type}"`);
  const rawPayload = fields[FIELD.payload];
  if (rawPayload === undefined) return reject(`missing field ${FIELD.payload}`);

  const rawVersion = fields[FIELD.version] ?? "1";
  if (!/^[1-9][0-9]{0,5}$/.test(rawVersion)) return reject(`invalid ${FIELD.version} "${rawVersion}"`);
  const version = Number(rawVersion);
  const current = CURRENT_VERSIONS[type as EventType];
  if (version > current) return reject(`unsupported version ${version} of ${type}`);

  let payload: unknown;
  try {
    payload = JSON.parse(rawPayload);
  } catch {
    return reject(`${FIELD.payload} is not valid JSON`);
  }
  const parsed = PAYLOAD_SCHEMAS[type as EventType].safeParse(upcast(type as EventType, version, payload));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`,
    );
    return reject(`${type} v${version} payload is invalid: ${problems.join("; ")}`);
  }
  return {
    ok: true,
    streamId: entry.id,
    eventId: fields[FIELD.eventId] ?? null,
    version,
    occurredAt: fields[FIELD.occurredAt] ?? null,
    event: eventOf(type as EventType, parsed.data),
    fields,
  };
}

/** The value of one field, read without decoding the rest; undefined if absent or repeated. */
export function fieldOfEntry(entry: RawEntry, name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i + 1 < entry.fields.length; i += 2) {
    if (entry.fields[i] !== name) continue;
    if (value !== undefined) return undefined;
    value = entry.fields[i + 1];
  }
  return value;
}

/** The value of the `EventTypeName` field, read without decoding the rest; undefined if absent or repeated. */
export function typeOfEntry(entry: RawEntry): string | undefined {
  return fieldOfEntry(entry, FIELD.type);
}

/** Wraps a domain event with a fresh identity and the time it happened. */
export function envelopeOf(event: DomainEvent, eventId: string, occurredAt: Date): EventEnvelope {
  return { eventId, version: CURRENT_VERSIONS[event.type], occurredAt: occurredAt.toISOString(), event };
}

/** An older payload brought up to the current version, one step at a time; anything not an object as is. */
function upcast(type: EventType, version: number, payload: unknown): unknown {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  let shaped = payload as Record<string, unknown>;
  for (let from = version; from < CURRENT_VERSIONS[type]; from++) {
    const step = UPCASTERS[type]?.[from];
    if (step) shaped = step(shaped);
  }
  return shaped;
}

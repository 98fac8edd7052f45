/**
 * The stream's contract beyond one entry's fields (shared/events/wire.ts): the keys beside the event
 * stream, where a consumer starts, how stream IDs order, and the dead-letter entry's fields, written and
 * read by the code below only.
 */

/** Where a fresh consumer starts: before the first entry (also the ID of an empty stream's ends). */
export const START_OF_STREAM = "0-0";

/** The dead-letter stream beside an event stream: entries a consumer gave up on, with the reason. */
export const deadLetterStreamOf = (streamKey: string) => `${streamKey}:dlq`;

/** The hash where each consumer reports the last position it applied; trimming never passes the lowest. */
export const positionsKeyOf = (streamKey: string) => `${streamKey}:positions`;

const STREAM_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;

/** Whether a text is a Redis stream ID (`1732425600000-0`). */
export const isStreamId = (value: string) => STREAM_ID.test(value);

/** Orders Redis stream IDs (`ms-seq`) numerically, as Redis does. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split("-").map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split("-").map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

/** The milliseconds part of a stream ID: the entry's time as Redis gave it ("stream time"). */
export function streamTimeOf(streamId: string): number {
  return Number(streamId.split("-")[0]);
}

/** The fields of a dead-letter entry, in the order they are written. */
export const DEAD_LETTER_FIELD = {
  deadLetterId: "DeadLetterId",
  originalId: "OriginalId",
  consumer: "Consumer",
  reason: "Reason",
  deadLetteredAt: "DeadLetteredAt",
  /** The original entry's fields, as a JSON object. */
  originalFields: "OriginalFields",
} as const;

/**
 * The field a redriven entry carries: the one consumer it is put back for (the one that dead-lettered it).
 * Every other consumer passes such an entry as already dealt with, moving its checkpoint past it, so a
 * redrive never reaches a consumer that applied the original (or dead-lettered it on its own). Appended
 * after the event's fields; legacy consumers, which read only EventTypeName and Payload, do not see it.
 */
export const REDRIVEN_FOR_FIELD = "RedrivenFor";

/** A dead letter as a consumer writes it. */
export type DeadLetterRecord = {
  deadLetterId: string;
  originalId: string;
  consumer: string;
  reason: string;
  deadLetteredAt: string;
  originalFields: Record<string, string>;
};

/** A dead-letter entry as read back: any field someone left out is null. */
export type DeadLetterEntry = { [K in Exclude<keyof DeadLetterRecord, "originalFields">]: string | null } & {
  /** The dead-letter stream's own entry ID. */
  id: string;
  /** The OriginalFields JSON as stored. */
  originalFields: string | null;
};

/** The flat field/value list to XADD a dead letter. */
export function encodeDeadLetter(letter: DeadLetterRecord): string[] {
  return [
    DEAD_LETTER_FIELD.deadLetterId,
    letter.deadLetterId,
    DEAD_LETTER_FIELD.originalId,
    letter.originalId,
    DEAD_LETTER_FIELD.consumer,
    letter.consumer,
    DEAD_LETTER_FIELD.reason,
    letter.reason,
    DEAD_LETTER_FIELD.deadLetteredAt,
    letter.deadLetteredAt,
    DEAD_LETTER_FIELD.originalFields,
    JSON.stringify(letter.originalFields),
  ];
}

/** A dead-letter entry read from the stream, whoever wrote it. */
export function decodeDeadLetter(id: string, fields: readonly string[]): DeadLetterEntry {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] as string, fields[i + 1] as string);
  const field = (name: string) => values.get(name) ?? null;
  return {
    id,
    deadLetterId: field(DEAD_LETTER_FIELD.deadLetterId),
    originalId: field(DEAD_LETTER_FIELD.originalId),
    consumer: field(DEAD_LETTER_FIELD.consumer),
    reason: field(DEAD_LETTER_FIELD.reason),
    deadLetteredAt: field(DEAD_LETTER_FIELD.deadLetteredAt),
    originalFields: field(DEAD_LETTER_FIELD.originalFields),
  };
}

/** The original entry's fields as an object, or null when OriginalFields is missing or not a JSON object. */
export function originalFieldsOf(letter: DeadLetterEntry): Record<string, unknown> | null {
  if (letter.originalFields === null) return null;
  try {
    const parsed: unknown = JSON.parse(letter.originalFields);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

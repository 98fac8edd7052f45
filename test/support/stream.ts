import type Redis from "ioredis";
import { uuidv7 } from "uuidv7";
import type { DomainEvent } from "../../shared/events/schemas";
import { encodeEnvelope, envelopeOf } from "../../shared/events/wire";

/** A flat field list, as XRANGE gives it, as a map. */
export function fieldsOf(flat: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) map[flat[i] as string] = flat[i + 1] as string;
  return map;
}

/** The entries of `streamKey`, oldest first, as field maps. */
export async function streamEntries(redis: Redis, streamKey: string): Promise<Record<string, string>[]> {
  return (await redis.xrange(streamKey, "-", "+")).map(([, fields]) => fieldsOf(fields));
}

/**
 * XADDs `event` in the wire format, as another producer would, with a new EventId; `version` 2 is a
 * version from the future, `streamId` an explicit entry id. Resolves with the entry's id.
 */
export async function xaddEvent(
  redis: Redis,
  streamKey: string,
  event: DomainEvent,
  options: { at?: Date; version?: number; streamId?: string } = {},
): Promise<string> {
  const envelope = envelopeOf(event, uuidv7(), options.at ?? new Date());
  const versioned = options.version === undefined ? envelope : { ...envelope, version: options.version };
  const id = await redis.xadd(streamKey, options.streamId ?? "*", ...encodeEnvelope(versioned));
  if (!id) throw new Error("XADD added no entry");
  return id;
}

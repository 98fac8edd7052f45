import {
  type DeadLetterEntry as DeadLetter,
  decodeDeadLetter,
  originalFieldsOf,
  REDRIVEN_FOR_FIELD,
} from "../../shared/events/stream-contract";
import type { Redis } from "../../shared/stream/redis";
import { Failure } from "./cli";

export type { DeadLetter };

type StreamEntry = [id: string, fields: string[]];

const deadLetterOf = ([id, fields]: StreamEntry): DeadLetter => decodeDeadLetter(id, fields);

/**
 * The flat field/value list to XADD the original entry again, for the consumer that dead-lettered it
 * only (REDRIVEN_FOR_FIELD, replacing the one a redriven entry dead-lettered again carries); throws a
 * Failure when there are no fields or no consumer.
 */
export function redriveFields(letter: DeadLetter): string[] {
  const fields = originalFieldsOf(letter);
  const pairs = Object.entries(fields ?? {}).filter(([name]) => name !== REDRIVEN_FOR_FIELD);
  if (pairs.length === 0 || pairs.some(([, value]) => typeof value !== "string")) {
    throw new Failure(`dead letter ${letter.id} has no usable OriginalFields to put back on the stream`);
  }
  if (!letter.consumer) {
    throw new Failure(`dead letter ${letter.id} names no Consumer: a redrive could not be aimed at one`);
  }
  return [...(pairs.flat() as string[]), REDRIVEN_FOR_FIELD, letter.consumer];
}

export async function findDeadLetter(redis: Redis, dlqKey: string, id: string): Promise<DeadLetter | null> {
  const [entry] = await redis.xrange(dlqKey, id, id);
  return entry ? deadLetterOf(entry) : null;
}

/** The newest `limit` dead letters, oldest first. */
export async function newestDeadLetters(redis: Redis, dlqKey: string, limit: number): Promise<DeadLetter[]> {
  const entries = await redis.xrevrange(dlqKey, "+", "-", "COUNT", limit);
  return entries.reverse().map(deadLetterOf);
}

/**
 * Every dead letter there is now (of `consumer` when given), oldest first, in pages. Entries added while
 * this runs are left out: a redriven event dead-lettered again must not be picked up in the same pass.
 */
export async function* allDeadLetters(
  redis: Redis,
  dlqKey: string,
  consumer: string | undefined,
): AsyncGenerator<DeadLetter> {
  const [newest] = await redis.xrevrange(dlqKey, "+", "-", "COUNT", 1);
  if (!newest) return;
  let start = "-";
  for (;;) {
    const page = await redis.xrange(dlqKey, start, newest[0], "COUNT", 500);
    for (const entry of page) {
      const letter = deadLetterOf(entry);
      if (consumer === undefined || letter.consumer === consumer) yield letter;
    }
    const last = page[page.length - 1];
    if (page.length < 500 || last === undefined) return;
    start = `(${last[0]}`;
  }
}

/**
 * Puts a dead letter's original fields back on the main stream and deletes the dead letter, in one
 * MULTI under WATCH, so two operators redriving the same entry cannot publish it twice. Resolves with
 * the new stream ID, or null when the dead letter is no longer there.
 */
export async function redrive(
  redis: Redis,
  keys: { stream: string; dlq: string },
  id: string,
): Promise<string | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    await redis.watch(keys.dlq);
    let fields: string[];
    try {
      const letter = await findDeadLetter(redis, keys.dlq, id);
      if (!letter) {
        await redis.unwatch();
        return null;
      }
      fields = redriveFields(letter);
    } catch (error) {
      await redis.unwatch();
      throw error;
    }
    const results = await redis
      .multi()
      .xadd(keys.stream, "*", ...fields)
      .xdel(keys.dlq, id)
      .exec();
    // null: the dead-letter stream changed since WATCH (a service added one): look again.
    if (results === null) continue;
    const failed = results.find(([error]) => error !== null);
    if (failed) throw failed[0];
    return results[0]?.[1] as string;
  }
  throw new Failure(`the dead-letter stream kept changing while redriving ${id}; try again`);
}

/** Refuses to redrive onto a key that holds something other than a stream (XADD would fail after XDEL). */
export async function checkIsStream(redis: Redis, key: string): Promise<void> {
  const type = await redis.type(key);
  if (type !== "stream" && type !== "none") throw new Failure(`${key} holds a ${type}, not a stream`);
}

/** XDELs the given dead letters in batches; resolves with how many were deleted. */
export async function purge(redis: Redis, dlqKey: string, ids: AsyncIterable<string>): Promise<number> {
  let deleted = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length > 0) deleted += await redis.xdel(dlqKey, ...batch);
    batch = [];
  };
  for await (const id of ids) {
    batch.push(id);
    if (batch.length >= 500) await flush();
  }
  await flush();
  return deleted;
}

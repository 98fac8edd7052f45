import { join } from "node:path";
import {
  compareStreamIds,
  deadLetterStreamOf,
  isStreamId,
  positionsKeyOf,
  START_OF_STREAM,
} from "../../shared/events/stream-contract";
import { acknowledgeGap, checkpoints } from "../../shared/projection/tables";
import { openDatabase } from "../../shared/sqlite/db";
import { detectGap, entriesReadAccepting, inspectStream } from "../../shared/stream/gap";
import type { Redis } from "../../shared/stream/redis";
import { type Command, DONE, FAILED, parseOptions, positionals, UsageError } from "./cli";

export const SERVICES = ["customers", "accounts"] as const;
export type Service = (typeof SERVICES)[number];

/** Past this many entries behind, stream-info stops counting and prints ">100000". */
export const LAG_LIMIT = 100_000;
const PAGE = 1000;

/** How many entries the stream holds after `position`, counted in pages; `>LAG_LIMIT` past the limit. */
export async function entriesAfter(redis: Redis, key: string, position: string): Promise<number | string> {
  let count = 0;
  let start = position;
  for (;;) {
    const page = await redis.xrange(key, `(${start}`, "+", "COUNT", PAGE);
    count += page.length;
    if (count > LAG_LIMIT) return `>${LAG_LIMIT}`;
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return count;
    start = last[0];
  }
}

export const streamInfo: Command = {
  usage: `usage: bun run ops -- stream-info

Prints, as JSON, the stream's length and IDs (XINFO STREAM), each consumer's reported position from
<STREAM_KEY>:positions, its lag (the entries after that position; ">${LAG_LIMIT}" past ${LAG_LIMIT}),
and the length of the dead-letter stream <STREAM_KEY>:dlq.`,
  async run(args, context) {
    positionals(parseOptions(args, {}).positionals, []);
    const redis = await context.redis();
    const key = context.config.STREAM_KEY;
    const positions = await redis.hgetall(positionsKeyOf(key));
    const lag: Record<string, number | string> = {};
    for (const [consumer, position] of Object.entries(positions)) {
      lag[consumer] = isStreamId(position) ? await entriesAfter(redis, key, position) : "invalid position";
    }
    const state = await inspectStream(redis, key);
    const deadLetters = await redis.xlen(deadLetterStreamOf(key));
    console.log(JSON.stringify({ stream: key, ...state, positions, lag, deadLetters }, null, 2));
    return DONE;
  },
};

export const acknowledgeGapCommand: Command = {
  usage: `usage: bun run ops -- acknowledge-gap customers|accounts

Accepts that entries the service's consumer had not applied are gone from the stream (trimmed, deleted,
flushed), so it resumes. Run it with the service's DATA_DIR; rebuilding the read model is the alternative.`,
  async run(args, context) {
    const [argument] = positionals(parseOptions(args, {}).positionals, ["SERVICE"]);
    if (!SERVICES.includes(argument as Service)) {
      throw new UsageError(`acknowledge-gap needs a service: ${SERVICES.join(" or ")}`);
    }
    const service = argument as Service;
    const redis = await context.redis();
    const database = openDatabase(
      join(context.config.DATA_DIR, `${service}.sqlite`),
      new URL(`../../migrations/${service}`, import.meta.url).pathname,
    );
    try {
      const row = database.db
        .select()
        .from(checkpoints)
        .all()
        .find((c) => c.consumer === service);
      const stream = await inspectStream(redis, context.config.STREAM_KEY);
      const point = {
        position: row?.position ?? START_OF_STREAM,
        entriesRead: row?.entriesRead ?? 0,
        acknowledgedThrough: row?.gapAcknowledgedThrough ?? null,
      };
      const gap = detectGap(point, stream);
      if (!gap) {
        console.log(`${service}: no gap to acknowledge`);
        return DONE;
      }
      acknowledgeGap(database.db, service, gap.through, entriesReadAccepting(point, stream), new Date());
      console.log(`${service}: acknowledged: ${gap.reason}; the consumer resumes within seconds`);
      return DONE;
    } finally {
      database.close();
    }
  },
};

export const trim: Command = {
  usage: `usage: bun run ops -- trim

XTRIMs the stream up to the lowest position every known consumer (${SERVICES.join(", ")}) has applied, so
no consumer misses an entry. Refuses (exit 1) while a consumer has not reported a position yet.`,
  async run(args, context) {
    positionals(parseOptions(args, {}).positionals, []);
    const redis = await context.redis();
    const key = context.config.STREAM_KEY;
    const positions = await redis.hgetall(positionsKeyOf(key));
    const missing = SERVICES.filter((service) => positions[service] === undefined);
    if (missing.length > 0) {
      console.error(`not trimming: no reported position for ${missing.join(", ")}`);
      return FAILED;
    }
    const lowest = Object.values(positions).sort(compareStreamIds)[0] as string;
    const trimmed = await redis.xtrim(key, "MINID", lowest);
    console.log(`trimmed ${trimmed} entries before ${lowest} (the lowest applied position)`);
    return DONE;
  },
};

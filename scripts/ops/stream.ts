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
import { type Command, DONE, FAILED, parseOptions, positionals, printTable, UsageError } from "./cli";

export const SERVICES = ["customers", "accounts"] as const;
export type Service = (typeof SERVICES)[number];

/** Past this many entries, stream-info and trim --dry-run stop counting and print ">100000". */
export const COUNT_LIMIT = 100_000;
const PAGE = 1000;

/**
 * How many entries the stream holds between `start` and `end` (XRANGE bounds: "-", "+", "(ID" for
 * exclusive), counted in pages; `>COUNT_LIMIT` past the limit.
 */
export async function countEntries(
  redis: Redis,
  key: string,
  start: string,
  end: string,
): Promise<number | string> {
  let count = 0;
  let from = start;
  for (;;) {
    const page = await redis.xrange(key, from, end, "COUNT", PAGE);
    count += page.length;
    if (count > COUNT_LIMIT) return `>${COUNT_LIMIT}`;
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return count;
    from = `(${last[0]}`;
  }
}

/** How many entries the stream holds after `position`. */
export const entriesAfter = (redis: Redis, key: string, position: string) =>
  countEntries(redis, key, `(${position}`, "+");

/** The consumers there are: the services' own, and any other that reported a position. */
export async function knownConsumers(redis: Redis, streamKey: string): Promise<string[]> {
  const reported = await redis.hkeys(positionsKeyOf(streamKey));
  return [...new Set([...SERVICES, ...reported])].sort();
}

type StreamReport = Awaited<ReturnType<typeof readStreamReport>>;

async function readStreamReport(redis: Redis, key: string) {
  const positions = await redis.hgetall(positionsKeyOf(key));
  const lag: Record<string, number | string> = {};
  for (const [consumer, position] of Object.entries(positions)) {
    lag[consumer] = isStreamId(position) ? await entriesAfter(redis, key, position) : "invalid position";
  }
  const state = await inspectStream(redis, key);
  const deadLetters = await redis.xlen(deadLetterStreamOf(key));
  return { stream: key, exists: state !== null, ...state, positions, lag, deadLetters };
}

function printStreamReport(report: StreamReport): void {
  const facts = report.exists
    ? [
        ["stream", report.stream],
        ["length", `${report.length} entries`],
        ["first entry", report.length ? String(report.firstEntryId) : "-"],
        ["last entry ID", String(report.lastGeneratedId)],
        ["entries added", String(report.entriesAdded)],
      ]
    : [["stream", `${report.stream} (not there: nothing was written to it yet)`]];
  facts.push(["dead letters", `${report.deadLetters} in ${deadLetterStreamOf(report.stream)}`]);
  for (const [name, value] of facts) console.log(`${`${name}:`.padEnd(15)}${value}`);
  console.log("");
  const consumers = Object.keys(report.positions).sort();
  if (consumers.length === 0) {
    console.log("no consumer has reported a position yet");
    return;
  }
  printTable([
    ["CONSUMER", "POSITION", "LAG (ENTRIES AFTER IT)"],
    ...consumers.map((name) => [name, report.positions[name] ?? "-", String(report.lag[name])]),
  ]);
}

export const streamInfo: Command = {
  usage: `usage: npm run ops -- stream-info [--json]

Prints the stream's length and IDs (XINFO STREAM), the length of the dead-letter stream <STREAM_KEY>:dlq,
and a table of each consumer's reported position (from <STREAM_KEY>:positions) with its lag: the entries
after that position (">${COUNT_LIMIT}" past ${COUNT_LIMIT}). --json prints the same as one JSON object.`,
  async run(args, context) {
    const { values, positionals: rest } = parseOptions(args, { json: { type: "boolean" } });
    positionals(rest, []);
    const report = await readStreamReport(await context.redis(), context.config.STREAM_KEY);
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else printStreamReport(report);
    return DONE;
  },
};

export const acknowledgeGapCommand: Command = {
  usage: `usage: npm run ops -- acknowledge-gap customers|accounts

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
  usage: `usage: npm run ops -- trim [--dry-run]

XTRIMs the stream up to the lowest position every known consumer (${SERVICES.join(", ")}) has applied, so
no consumer misses an entry. Refuses (exit 1) while a consumer has not reported a position yet.
--dry-run only prints how many entries it would remove (">${COUNT_LIMIT}" past ${COUNT_LIMIT}) and removes none.`,
  async run(args, context) {
    const { values, positionals: rest } = parseOptions(args, { "dry-run": { type: "boolean" } });
    positionals(rest, []);
    const redis = await context.redis();
    const key = context.config.STREAM_KEY;
    const positions = await redis.hgetall(positionsKeyOf(key));
    const missing = SERVICES.filter((service) => positions[service] === undefined);
    if (missing.length > 0) {
      console.error(`not trimming: no reported position for ${missing.join(", ")}`);
      return FAILED;
    }
    const lowest = Object.values(positions).sort(compareStreamIds)[0] as string;
    if (values["dry-run"]) {
      // Nothing comes before 0-0 (and "(0-0" is no range Redis accepts).
      const count = lowest === START_OF_STREAM ? 0 : await countEntries(redis, key, "-", `(${lowest}`);
      console.log(`would trim ${count} entries before ${lowest} (the lowest applied position); removed none`);
      return DONE;
    }
    const trimmed = await redis.xtrim(key, "MINID", lowest);
    console.log(`trimmed ${trimmed} entries before ${lowest} (the lowest applied position)`);
    return DONE;
  },
};

import { join } from "node:path";
import Redis from "ioredis";
import { uuidv7 } from "uuidv7";
import type { DomainEvent } from "../shared/events/schemas";
import { compareStreamIds } from "../shared/events/stream-contract";
import { encodeEnvelope, envelopeOf } from "../shared/events/wire";
import { eventually, freePort } from "../test/support/resources";
import { accountsCheckpoint, type BenchProcess, startService } from "./support";

const CUSTOMERS = 1000;
const PIPELINE = 1000;

/** Entries in the real wire format: `customers` CustomerCreated on accounts 1 and 2, then invoices for them. */
function* events(fromInvoice: number, count: number, withCustomers: boolean): Generator<DomainEvent> {
  const at = new Date().toISOString();
  let made = 0;
  if (withCustomers) {
    for (let id = 1; id <= CUSTOMERS && made < count; id++, made++) {
      yield {
        type: "CustomerCreated",
        payload: {
          id: String(id),
          account_id: String(1 + (id % 2)),
          name: `customer ${id}`,
          created_date: at,
        },
      };
    }
  }
  for (let id = fromInvoice; made < count; id++, made++) {
    yield {
      type: "InvoiceCreated",
      payload: {
        id: String(id),
        customer_id: String(1 + (id % CUSTOMERS)),
        purchase_price_cents: 100 + (id % 9000),
        purchase_date: "2024-05-17",
        created_date: at,
        currency: "USD",
      },
    };
  }
}

/** Appends events with pipelined XADDs; resolves with the last entry's id. */
async function append(redis: Redis, key: string, source: Iterable<DomainEvent>): Promise<string> {
  let pipeline = redis.pipeline();
  let queued = 0;
  let last = "0-0";
  const flush = async () => {
    const results = (await pipeline.exec()) ?? [];
    for (const [error, id] of results) {
      if (error) throw error;
      last = String(id);
    }
    pipeline = redis.pipeline();
    queued = 0;
  };
  const now = new Date();
  for (const event of source) {
    pipeline.xadd(key, "*", ...encodeEnvelope(envelopeOf(event, uuidv7(), now)));
    if (++queued === PIPELINE) await flush();
  }
  if (queued > 0) await flush();
  return last;
}

export type CatchUpStream = { template: string; length: number; lastId: string };

/** Fills the template stream once; each round works on a server-side COPY of it. */
export async function fillTemplate(redis: Redis, length: number): Promise<CatchUpStream> {
  const template = "bench-catch-up-template";
  await redis.del(template);
  const lastId = await append(redis, template, events(1, length, true));
  return { template, length, lastId };
}

/** The raw baseline: XREAD COUNT 1000 from the start until the end of the stream, with ioredis. */
async function drain(redisUrl: string, key: string): Promise<{ entries: number; seconds: number }> {
  const redis = new Redis(redisUrl);
  try {
    const started = performance.now();
    let after = "0-0";
    let entries = 0;
    for (;;) {
      const reply = await redis.xread("COUNT", 1000, "STREAMS", key, after);
      const batch = reply?.[0]?.[1] ?? [];
      if (batch.length === 0) break;
      entries += batch.length;
      after = (batch[batch.length - 1] as [string, string[]])[0];
    }
    return { entries, seconds: (performance.now() - started) / 1000 };
  } finally {
    redis.disconnect();
  }
}

type Progress = { at: number; entriesRead: number };

/**
 * Watches accounts' checkpoint in its database file until it reaches `target`: the first time it had
 * read more than `fromEntries` entries, and the time it got there.
 */
async function watchUntil(
  dataDir: string,
  target: string,
  fromEntries = 0,
): Promise<{ first: Progress; done: Progress }> {
  let first: Progress | undefined;
  return eventually(
    `accounts to reach ${target}`,
    () => {
      const checkpoint = accountsCheckpoint(dataDir);
      const at = performance.now();
      if (!checkpoint || checkpoint.entriesRead <= fromEntries) return undefined;
      first ??= { at, entriesRead: checkpoint.entriesRead };
      if (compareStreamIds(checkpoint.position, target) < 0) return undefined;
      return { first, done: { at, entriesRead: checkpoint.entriesRead } };
    },
    600_000,
    5,
  );
}

export type CatchUpRound = {
  baselineEventsPerSecond: number;
  subjectEventsPerSecond: number;
  ratio: number;
  /** Seconds from starting accounts to caught up over the whole stream (start-up included). */
  catchUpSeconds: number;
  /** Seconds from restarting accounts to caught up over `resumeEvents` new entries; and without start-up. */
  resumeSeconds: number;
  resumeApplySeconds: number;
  resumeEvents: number;
  peakRssMiB: number;
};

/**
 * Figures 3 and 4 on a fresh copy of the template: the raw drain, then accounts from an empty database
 * until caught up; then accounts stopped, `resumeEvents` invoices appended, and accounts restarted.
 */
export async function catchUpRound(options: {
  redis: Redis;
  redisUrl: string;
  stream: CatchUpStream;
  dir: string;
  round: number;
  resumeEvents: number;
}): Promise<CatchUpRound> {
  const { redis, redisUrl, stream, dir, round, resumeEvents } = options;
  const key = `bench-catch-up-${round}`;
  await redis.del(key);
  await redis.call("COPY", stream.template, key);
  const raw = await drain(redisUrl, key);
  if (raw.entries !== stream.length) throw new Error(`drained ${raw.entries} of ${stream.length} entries`);

  const dataDir = join(dir, `catch-up-${round}`);
  const env = {
    REDIS_URL: redisUrl,
    STREAM_KEY: key,
    DATA_DIR: dataDir,
    ACCOUNTS_PORT: String(freePort()),
    CUSTOMERS_PORT: String(freePort()),
  };
  const logFile = join(dir, `accounts-catch-up-${round}.log`);
  const started = performance.now();
  const [accounts, progress] = await Promise.all([
    startService("accounts", env, logFile),
    watchUntil(dataDir, stream.lastId),
  ]);
  const catchUpSeconds = (progress.done.at - started) / 1000;
  const subjectEventsPerSecond =
    (progress.done.entriesRead - progress.first.entriesRead) /
    ((progress.done.at - progress.first.at) / 1000);

  // Settle on the stream's real end (the development users' AccountCreated came after the template).
  const end = (await redis.xrevrange(key, "+", "-", "COUNT", 1))[0]?.[0] ?? stream.lastId;
  const settled = await watchUntil(dataDir, end);
  let peak = accounts.peakRssMiB();
  await accounts.stop();

  const resumeTarget = await append(redis, key, events(stream.length + 1, resumeEvents, false));
  const restarted = performance.now();
  let again: BenchProcess | undefined;
  const [resumed] = await Promise.all([
    watchUntil(dataDir, resumeTarget, settled.done.entriesRead),
    startService("accounts", env, logFile).then((process) => {
      again = process;
    }),
  ]);
  const resumeSeconds = (resumed.done.at - restarted) / 1000;
  const resumeApplySeconds = (resumed.done.at - resumed.first.at) / 1000;
  if (again) {
    peak = Math.max(peak, again.peakRssMiB());
    await again.stop();
  }
  await redis.del(key);
  return {
    baselineEventsPerSecond: raw.entries / raw.seconds,
    subjectEventsPerSecond,
    ratio: subjectEventsPerSecond / (raw.entries / raw.seconds),
    catchUpSeconds,
    resumeSeconds,
    resumeApplySeconds,
    resumeEvents,
    peakRssMiB: peak,
  };
}

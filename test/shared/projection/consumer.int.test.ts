import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { accountCreated } from "../../../accounts/domain";
import { createRevenueProjection } from "../../../accounts/revenue/handler";
import { createAccountsStore } from "../../../accounts/store";
import { accounts } from "../../../accounts/tables";
import { compareStreamIds, positionsKeyOf } from "../../../shared/events/stream-contract";
import { envelopeOf } from "../../../shared/events/wire";
import { createLogger } from "../../../shared/process/log";
import { type Consumer, startConsumer } from "../../../shared/projection/consumer";
import { openDatabase, type SqliteDatabase } from "../../../shared/sqlite/db";
import { createStreamReader } from "../../../shared/stream/reader";
import { connectRedis } from "../../../shared/stream/redis";
import { eventually, startRedis, type TestRedis, tempDir, uniqueStreamKey } from "../../support/resources";

const MIGRATIONS = join(import.meta.dir, "..", "..", "..", "migrations", "accounts");
const logger = createLogger("test", "silent");
const now = () => new Date("2026-11-24T10:00:00.000Z");
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Setup = { redis: TestRedis; streamKey: string; dbPath: string; database: SqliteDatabase };

/** Its own redis-server and stream key, and an accounts database where user1 owns account 1. */
async function setup(): Promise<Setup> {
  const redis = await startRedis({ appendfsync: "always" });
  cleanups.push(() => redis.stop());
  const dir = tempDir("streamledger-consumer-");
  cleanups.push(dir.remove);
  const dbPath = join(dir.path, "accounts.sqlite");
  const s: Setup = {
    redis,
    streamKey: uniqueStreamKey(),
    dbPath,
    database: openDatabase(dbPath, MIGRATIONS),
  };
  cleanups.push(() => s.database.close());
  const createdAt = now().toISOString();
  createAccountsStore(s.database.db).addUsersWithAccounts(
    [
      {
        user: { username: "user1", passwordHash: "x", createdAt },
        account: { name: "one", description: "", ownedBy: "user1", createdDate: createdAt },
      },
    ],
    (account) => envelopeOf(accountCreated(account), crypto.randomUUID(), now()),
  );
  return s;
}

function consume(
  s: Setup,
  options: { blockMs?: number; readerName?: string; count?: number } = {},
): Consumer {
  const redis = connectRedis(s.redis.url, logger, "test-consumer");
  cleanups.push(() => redis.disconnect());
  const consumer = startConsumer({
    redis,
    streamKey: s.streamKey,
    reader: createStreamReader({
      connect: () =>
        connectRedis(s.redis.url, logger, options.readerName ?? "test-reader", { blocking: true }),
      streamKey: s.streamKey,
      count: options.count ?? 2,
      blockMs: options.blockMs ?? 200,
    }),
    projection: createRevenueProjection({ db: s.database.db, now, newId: () => crypto.randomUUID() }),
    logger,
    now,
  });
  cleanups.push(() => consumer.close());
  return consumer;
}

const created_date = "0001-01-01T00:00:00Z";
const addCustomer = (s: Setup, id: number) =>
  s.redis.client.xadd(
    s.streamKey,
    "*",
    "EventTypeName",
    "CustomerCreated",
    "Payload",
    JSON.stringify({ id: String(id), account_id: "1", name: `Customer ${id}`, created_date }),
  ) as Promise<string>;
const invoiceFields = (id: number, cents: number) => [
  "EventTypeName",
  "InvoiceCreated",
  "Payload",
  JSON.stringify({
    id: String(id),
    customer_id: "1",
    purchase_price_cents: cents,
    purchase_date: "2019-01-06",
    created_date,
  }),
];
let nextInvoice = 1;
const addInvoice = (s: Setup, cents: number) =>
  s.redis.client.xadd(
    s.streamKey,
    "*",
    "Payload",
    JSON.stringify({
      id: String(nextInvoice++),
      customer_id: "1",
      purchase_price_cents: cents,
      purchase_date: "2019-01-06",
      created_date,
    }),
    "EventTypeName",
    "InvoiceCreated",
  ) as Promise<string>;

const totalOf = ({ database }: Setup) =>
  database.db.select().from(accounts).where(eq(accounts.id, 1)).get()?.totalRevenueCents;

const caughtUp = (s: Setup, consumer: Consumer, lastId: string, total: number) =>
  eventually(`the consumer to reach ${lastId} with ${total} cents`, () => {
    const status = consumer.status();
    return status.position === lastId && status.lastError === null && totalOf(s) === total;
  });

describe("a consumer", () => {
  test("applies the entries added to the stream, batch after batch", async () => {
    const s = await setup();
    const consumer = consume(s);
    await addCustomer(s, 1);
    for (const cents of [100, 200, 300, 400]) await addInvoice(s, cents);
    const last = await addInvoice(s, 500);

    await caughtUp(s, consumer, last, 1500);

    expect(consumer.status()).toMatchObject({
      running: true,
      gap: null,
      applied: 6,
      deadLettered: 0,
      parked: 0,
      lastAppliedAt: now().toISOString(),
    });
    await eventually("the position to be reported on Redis", async () => {
      return (await s.redis.client.hget(positionsKeyOf(s.streamKey), "accounts")) === last;
    });
  });

  test("closed and replaced resumes from the stored checkpoint without counting anything twice", async () => {
    const s = await setup();
    const first = consume(s);
    await addCustomer(s, 1);
    const middle = await addInvoice(s, 1000);
    await caughtUp(s, first, middle, 1000);
    await first.close();

    await addInvoice(s, 20);
    const last = await addInvoice(s, 3);
    s.database.close();
    s.database = openDatabase(s.dbPath, MIGRATIONS);
    const second = consume(s);

    expect(second.status().position).toBe(middle);
    await caughtUp(s, second, last, 1023);
  });

  test("keeps going after Redis is killed and restarted, and counts each entry once", async () => {
    const s = await setup();
    const consumer = consume(s);
    await addCustomer(s, 1);
    const before = await addInvoice(s, 1000);
    await caughtUp(s, consumer, before, 1000);

    await s.redis.kill();
    await eventually("the consumer to notice Redis is gone", () => consumer.status().lastError !== null);
    await s.redis.restart();
    await addInvoice(s, 200);
    const last = await addInvoice(s, 30);

    await caughtUp(s, consumer, last, 1230);
    expect(consumer.status().running).toBe(true);
  });

  test("a failing SQLite write stops the batch without moving the checkpoint, and it is retried until it works", async () => {
    const s = await setup();
    const consumer = consume(s);
    await addCustomer(s, 1);
    const counted = await addInvoice(s, 100);
    await caughtUp(s, consumer, counted, 100);

    const operator = new Database(s.dbPath);
    cleanups.push(() => operator.close());
    operator.exec(
      "CREATE TRIGGER disk_trouble BEFORE INSERT ON invoices BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    const held = await addInvoice(s, 20);
    await eventually("the consumer to report the failure", () =>
      consumer.status().lastError?.includes("disk trouble"),
    );
    expect(consumer.status().position).toBe(counted);
    expect(totalOf(s)).toBe(100);

    operator.exec("DROP TRIGGER disk_trouble");
    await caughtUp(s, consumer, held, 120);
    expect(consumer.status().running).toBe(true);
  });

  test("a trim while it is behind stops it at the hole: nothing after the hole is applied, the gap is reported", async () => {
    const s = await setup();
    await addCustomer(s, 1);
    const pipeline = s.redis.client.pipeline();
    for (let i = 0; i < 5000; i++) {
      pipeline.xadd(s.streamKey, "*", ...invoiceFields(100_000 + i, 1));
    }
    await pipeline.exec();
    const consumer = consume(s, { count: 1 });
    await eventually("a few entries to be applied", () => consumer.status().applied >= 5);
    await s.redis.client.xtrim(s.streamKey, "MAXLEN", 100);

    const gap = await eventually("the gap to be reported", () => consumer.status().gap ?? undefined);
    expect(gap.reason).toContain("were trimmed before this consumer applied them");
    const [first] = await s.redis.client.xrange(s.streamKey, "-", "+", "COUNT", 1);
    expect(compareStreamIds(consumer.status().position, first?.[0] as string)).toBeLessThan(0);
    expect(totalOf(s)).toBe(consumer.status().applied - 1);
  });

  test("close() returns while Redis is down and the reader waits for it to come back", async () => {
    const s = await setup();
    // A wait for Redis of BLOCK + stall (65 s) far longer than the test's timeout: only an interrupted wait returns in time.
    const consumer = consume(s, { blockMs: 60_000 });
    await addCustomer(s, 1);
    await eventually("the consumer to apply the first entry", () => consumer.status().applied === 1);
    await s.redis.kill();
    await eventually("the consumer to notice Redis is down", () => consumer.status().lastError !== null);
    await consumer.close();
    expect(consumer.status().running).toBe(false);
    await s.redis.restart();
  });

  test("close() returns while a BLOCK read is pending and leaves the checkpoint in place", async () => {
    const s = await setup();
    const readerName = `reader-${crypto.randomUUID()}`;
    // A BLOCK far longer than the test's timeout: only an interrupted read lets close() return in time.
    const consumer = consume(s, { blockMs: 60_000, readerName });
    await addCustomer(s, 1);
    const last = await addInvoice(s, 70);
    await caughtUp(s, consumer, last, 70);
    await eventually("the reader to block on XREAD", async () => {
      const clients = (await s.redis.client.client("LIST")) as string;
      return clients
        .split("\n")
        .some((line) => line.includes(`name=${readerName} `) && /cmd=xread/.test(line));
    });

    await consumer.close();

    expect(consumer.status()).toMatchObject({ running: false, position: last });
    expect(totalOf(s)).toBe(70);
  });
});

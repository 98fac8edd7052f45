import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { DomainEvent } from "../../../shared/events/schemas";
import { deadLetterStreamOf } from "../../../shared/events/stream-contract";
import { decodeEntry, type EventEnvelope, encodeEnvelope, envelopeOf } from "../../../shared/events/wire";
import { createOutboxRelay, type OutboxRelay } from "../../../shared/outbox/relay";
import { createOutboxAppend, eventEntry, outboxBacklog } from "../../../shared/outbox/table";
import { createLogger } from "../../../shared/process/log";
import type { Db } from "../../../shared/sqlite/db";
import { openDatabase, type SqliteDatabase } from "../../../shared/sqlite/db";
import { connectRedis } from "../../../shared/stream/redis";
import { startProxy, type TcpProxy } from "../../support/proxy";
import { eventually, startRedis, type TestRedis, tempDir, uniqueStreamKey } from "../../support/resources";

const MIGRATIONS = join(import.meta.dir, "..", "..", "..", "migrations", "customers");
const logger = createLogger("test", "silent");

// Inside the test's transaction on `tx`'s connection, as a service appends.
const appendToOutbox = (tx: Db, envelope: EventEnvelope) => createOutboxAppend(tx)(eventEntry(envelope));
const appendDeadLetter = (tx: Db, letter: { id: string; fields: string[]; createdAt: string }) =>
  createOutboxAppend(tx)({
    eventId: letter.id,
    eventType: "DeadLetter",
    target: "dlq",
    fields: letter.fields,
    createdAt: letter.createdAt,
  });
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Setup = { redis: TestRedis; database: SqliteDatabase; relay: OutboxRelay; streamKey: string };

/** Its own redis-server, customers database and stream key, with a relay between them. */
async function setup(
  options: { viaProxy?: boolean; batchSize?: number; onPublished?: (eventIds: string[]) => void } = {},
): Promise<Setup & { proxy?: TcpProxy }> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const proxy = options.viaProxy ? startProxy(redis.port) : undefined;
  if (proxy) cleanups.push(() => proxy.stop());
  const dir = tempDir("streamledger-outbox-");
  const database = openDatabase(join(dir.path, "customers.sqlite"), MIGRATIONS);
  cleanups.push(dir.remove, database.close);
  const connection = connectRedis(
    proxy ? `redis://127.0.0.1:${proxy.port}` : redis.url,
    logger,
    "test-relay",
  );
  cleanups.push(() => connection.disconnect());
  const streamKey = uniqueStreamKey();
  const relay = createOutboxRelay({
    db: database.db,
    redis: connection,
    streamKey,
    producer: "test",
    logger,
    batchSize: options.batchSize,
    onPublished: options.onPublished,
    // No polling during the test: only notify() and flush() publish.
    pollMs: 60_000,
  });
  cleanups.push(() => relay.close());
  return { redis, database, relay, streamKey, proxy };
}

let nextId = 1;
function invoiceEnvelope(): EventEnvelope {
  const id = String(nextId++);
  const event: DomainEvent = {
    type: "InvoiceCreated",
    payload: {
      id,
      customer_id: "1",
      purchase_price_cents: 100 * Number(id),
      purchase_date: "2019-01-06",
      created_date: "2026-11-24T10:00:00.000Z",
      currency: "USD",
    },
  };
  return envelopeOf(event, crypto.randomUUID(), new Date("2026-11-24T10:00:00.000Z"));
}

function commit({ database }: Setup, envelopes: EventEnvelope[]): void {
  database.db.transaction((tx) => {
    for (const envelope of envelopes) appendToOutbox(tx, envelope);
  });
}

const published = async ({ redis, streamKey }: Setup, key = streamKey) =>
  (await redis.client.xrange(key, "-", "+")).map(([, fields]) => fields);

describe("the outbox relay", () => {
  test("publishes committed rows in order with the wire fields, then deletes them", async () => {
    const s = await setup();
    const envelopes = [invoiceEnvelope(), invoiceEnvelope(), invoiceEnvelope(), invoiceEnvelope()];
    commit(s, envelopes.slice(0, 3));
    commit(s, envelopes.slice(3));
    expect(outboxBacklog(s.database.db).count).toBe(4);

    s.relay.notify();
    await eventually("the outbox to drain", () => outboxBacklog(s.database.db).count === 0);

    const entries = await published(s);
    expect(entries).toEqual(envelopes.map(encodeEnvelope));
    expect(entries.map((fields) => decodeEntry({ id: "0-1", fields }).ok)).toEqual([true, true, true, true]);
    expect(outboxBacklog(s.database.db)).toEqual({ count: 0, oldest: null });
  });

  test("flush() publishes everything committed before it across several batches, and deletes only those", async () => {
    const s = await setup({ batchSize: 2 });
    const envelopes = [
      invoiceEnvelope(),
      invoiceEnvelope(),
      invoiceEnvelope(),
      invoiceEnvelope(),
      invoiceEnvelope(),
    ];
    const letter = ["DeadLetterId", "dl-2", "OriginalId", "7-0", "Reason", "bad"];
    s.database.db.transaction((tx) => {
      appendToOutbox(tx, envelopes[0] as EventEnvelope);
      appendDeadLetter(tx, { id: "dl-2", fields: letter, createdAt: "2026-11-24T10:00:00.000Z" });
      for (const envelope of envelopes.slice(1)) appendToOutbox(tx, envelope);
    });

    // The relay's own loop may publish some of them first; flush() resolves once all of them are out.
    await s.relay.flush();
    expect(await published(s)).toEqual(envelopes.map(encodeEnvelope));
    expect(await published(s, deadLetterStreamOf(s.streamKey))).toEqual([letter]);
    expect(outboxBacklog(s.database.db).count).toBe(0);

    const later = invoiceEnvelope();
    commit(s, [later]);
    await s.relay.flush();
    expect(await published(s)).toEqual([...envelopes, later].map(encodeEnvelope));
    expect(outboxBacklog(s.database.db).count).toBe(0);
  });

  test("tells onPublished the EventIds of the events it put on the stream, in order, and of no dead letter", async () => {
    const told: string[][] = [];
    const s = await setup({ batchSize: 2, onPublished: (eventIds) => told.push(eventIds) });
    const envelopes = [invoiceEnvelope(), invoiceEnvelope(), invoiceEnvelope()];
    const letter = ["DeadLetterId", "dl-3", "OriginalId", "9-0", "Reason", "bad"];
    s.database.db.transaction((tx) => {
      for (const envelope of envelopes) appendToOutbox(tx, envelope);
      appendDeadLetter(tx, { id: "dl-3", fields: letter, createdAt: "2026-11-24T10:00:00.000Z" });
    });

    await s.relay.flush();

    expect(told.flat()).toEqual(envelopes.map((envelope) => envelope.eventId));
    expect(told.every((batch) => batch.length <= 2)).toBe(true);
  });

  test("sends dead-letter rows to the dead-letter stream and events to the event stream", async () => {
    const s = await setup();
    const [first, second] = [invoiceEnvelope(), invoiceEnvelope()];
    const letter = ["DeadLetterId", "dl-1", "OriginalId", "5-0", "Reason", "Payload is not valid JSON"];
    s.database.db.transaction((tx) => {
      appendToOutbox(tx, first);
      appendDeadLetter(tx, { id: "dl-1", fields: letter, createdAt: "2026-11-24T10:00:00.000Z" });
      appendToOutbox(tx, second);
    });

    s.relay.notify();
    await eventually("the outbox to drain", () => outboxBacklog(s.database.db).count === 0);

    expect(await published(s)).toEqual([first, second].map(encodeEnvelope));
    expect(await published(s, deadLetterStreamOf(s.streamKey))).toEqual([letter]);
  });

  test("publishes nothing of a transaction that rolled back", async () => {
    const s = await setup();
    const kept = invoiceEnvelope();

    expect(() =>
      s.database.db.transaction((tx) => {
        appendToOutbox(tx, invoiceEnvelope());
        throw new Error("the customer insert failed");
      }),
    ).toThrow("the customer insert failed");
    expect(outboxBacklog(s.database.db).count).toBe(0);
    commit(s, [kept]);
    s.relay.notify();
    await eventually("the committed event to be published", () => outboxBacklog(s.database.db).count === 0);

    expect(await published(s)).toEqual([encodeEnvelope(kept)]);
  });

  test("while Redis is down keeps the appended rows, then publishes all of them in order after a restart", async () => {
    const s = await setup();
    const before = invoiceEnvelope();
    commit(s, [before]);
    s.relay.notify();
    await eventually("the first event to be published", () => outboxBacklog(s.database.db).count === 0);

    await s.redis.kill();
    const whileDown = [invoiceEnvelope(), invoiceEnvelope(), invoiceEnvelope()];
    for (const envelope of whileDown) {
      commit(s, [envelope]);
      s.relay.notify();
    }
    expect(outboxBacklog(s.database.db).count).toBe(3);

    await s.redis.restart();
    await eventually("the outbox to drain after the restart", () => outboxBacklog(s.database.db).count === 0);

    expect(await published(s)).toEqual([before, ...whileDown].map(encodeEnvelope));
  });

  test("refuses a second row with the same event id, so the first transaction's event is the one sent", async () => {
    const s = await setup();
    const envelope = invoiceEnvelope();
    commit(s, [envelope]);

    expect(() => commit(s, [{ ...envelope, occurredAt: "2030-01-01T00:00:00.000Z" }])).toThrow();
    s.relay.notify();
    await eventually("the event to be published", () => outboxBacklog(s.database.db).count === 0);

    expect(await published(s)).toEqual([encodeEnvelope(envelope)]);
  });

  test("flush() called while a publish is under way still publishes what was committed before it", async () => {
    const s = await setup();
    const [first, second] = [invoiceEnvelope(), invoiceEnvelope()];
    commit(s, [first]);
    const underWay = s.relay.flush();
    commit(s, [second]);
    await s.relay.flush();
    expect(outboxBacklog(s.database.db).count).toBe(0);
    await underWay;
    expect(await published(s)).toEqual([first, second].map(encodeEnvelope));
  });

  test("a dead-letter stream that refuses writes holds up neither the events nor itself forever", async () => {
    const s = await setup();
    await s.redis.client.set(deadLetterStreamOf(s.streamKey), "not a stream");
    const [first, second] = [invoiceEnvelope(), invoiceEnvelope()];
    const letter = ["DeadLetterId", "dl-9", "OriginalId", "9-0", "Reason", "bad"];
    s.database.db.transaction((tx) => {
      appendDeadLetter(tx, { id: "dl-9", fields: letter, createdAt: "2026-11-24T10:00:00.000Z" });
      appendToOutbox(tx, first);
      appendToOutbox(tx, second);
    });
    s.relay.notify();
    await eventually("the events to be published", () => outboxBacklog(s.database.db).count === 1);
    await s.relay.flush().catch(() => 0);
    await s.relay.flush().catch(() => 0);
    expect(await published(s)).toEqual([first, second].map(encodeEnvelope));

    await s.redis.client.del(deadLetterStreamOf(s.streamKey));
    await eventually("the dead letter to be published", () => outboxBacklog(s.database.db).count === 0);
    expect(await published(s, deadLetterStreamOf(s.streamKey))).toEqual([letter]);
    expect(await published(s)).toEqual([first, second].map(encodeEnvelope));
  });

  test("an event that does not fit its schema is refused at append, rolling its transaction back", async () => {
    const s = await setup();
    const bad = invoiceEnvelope();
    const event = {
      ...bad.event,
      payload: { ...bad.event.payload, id: "not-a-number" },
    } as EventEnvelope["event"];
    expect(() => commit(s, [{ ...bad, event }])).toThrow();
    expect(outboxBacklog(s.database.db).count).toBe(0);
  });

  test("a connection that goes silent mid-publish is replaced and the rows still go out, once each", async () => {
    const s = await setup({ viaProxy: true });
    const [first, second] = [invoiceEnvelope(), invoiceEnvelope()];
    commit(s, [first]);
    s.relay.notify();
    await eventually("the first event to be published", () => outboxBacklog(s.database.db).count === 0);
    s.proxy?.silenceExisting();
    commit(s, [second]);
    s.relay.notify();
    await eventually(
      "the second event to be published through a new connection",
      () => outboxBacklog(s.database.db).count === 0,
    );
    expect(await published(s)).toEqual([first, second].map(encodeEnvelope));
  });
});

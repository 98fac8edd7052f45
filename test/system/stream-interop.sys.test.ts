import { beforeAll, describe, expect, test } from "bun:test";
import { streamTimeOf } from "../../shared/events/stream-contract";
import { type AccountView, request } from "../support/api";
import { legacyWire } from "../support/fixtures";
import { health } from "../support/services";
import { readServiceDb } from "../support/sqlite";
import { fieldsOf } from "../support/stream";
import { useSystem } from "../support/system";

const fixture = legacyWire();

const system = useSystem({ env: { PARK_TIMEOUT_MS: "1000" } });
let token: string;

beforeAll(async () => {
  token = await system.login();
});

/** XADDs `fields` as they are, at `streamId` if given (an entry's id is its stream time). */
const xadd = (fields: Record<string, string>, streamId = "*") =>
  system.redis.client.xadd(system.streamKey, streamId, ...Object.entries(fields).flat());

describe("entries written by the legacy customers service", () => {
  test("are read as they are, field order and all: GET /accounts matches the legacy response", async () => {
    for (const entry of fixture.entries_as_written_by_legacy_customers_service) await xadd(entry.fields);
    await system.settled();

    const accounts = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });
    const legacy = fixture.legacy_http["GET /accounts"].response;
    expect(accounts.body).toEqual(
      legacy.map((view) => ({ ...view, account: { ...view.account, created_date: expect.any(String) } })),
    );
  });
});

describe("malformed entries on the stream", () => {
  test("are recorded as dead letters and skipped, and the events after them still count", async () => {
    const before = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "After The Poison", account_id: "1" },
    });
    expect(customer.status).toBe(201);
    await system.settled();

    const poison: Record<string, string>[] = [
      { EventTypeName: "InvoiceCreated" },
      { EventTypeName: "InvoiceCreated", Payload: "{not json" },
      { EventTypeName: "InvoiceRefunded", Payload: "{}" },
      { Payload: JSON.stringify({ id: "900", customer_id: customer.body.id, purchase_price_cents: 5 }) },
      {
        EventTypeName: "InvoiceCreated",
        Payload: JSON.stringify({
          id: 901,
          customer_id: customer.body.id,
          purchase_price_cents: "5",
          purchase_date: "2019-01-01",
          created_date: "2019-01-01T00:00:00Z",
        }),
      },
      {
        EventTypeName: "CustomerCreated",
        Payload: JSON.stringify({ id: "abc", account_id: "1", name: "x" }),
      },
      {
        EventTypeName: "CustomerCreated",
        EventVersion: "2",
        Payload: JSON.stringify({
          id: "950",
          account_id: "1",
          name: "Future",
          created_date: "2026-01-01T00:00:00Z",
        }),
      },
      {
        EventTypeName: "CustomerCreated",
        Payload: JSON.stringify({
          id: "951",
          account_id: "999",
          name: "Nowhere",
          created_date: "2026-01-01T00:00:00Z",
        }),
      },
    ];
    const poisonIds: string[] = [];
    for (const fields of poison) poisonIds.push((await xadd(fields)) as string);

    const invoice = await request("POST", `${system.customers.url}/invoices`, {
      token,
      json: { customer_id: customer.body.id, purchase_date: "2026-11-24", purchase_price_cents: 4200 },
    });
    expect(invoice.status).toBe(201);
    await system.settled();

    const after = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });
    const totalOf = (views: AccountView[]) =>
      views.find((view) => view.account.id === 1)?.total_revenue_cents;
    expect(totalOf(after.body)).toBe((totalOf(before.body) ?? 0) + 4200);

    const letters = readServiceDb<{ stream_id: string; reason: string }>(
      system.dataDir,
      "accounts",
      "SELECT stream_id, reason FROM dead_letters ORDER BY seq",
    ).filter((letter) => poisonIds.includes(letter.stream_id));
    expect(letters.map((letter) => letter.stream_id)).toEqual(poisonIds);
    expect(letters.map((letter) => letter.reason)).toEqual([
      expect.stringContaining("missing field Payload"),
      expect.stringContaining("not valid JSON"),
      expect.stringContaining('unknown event type "InvoiceRefunded"'),
      expect.stringContaining("missing field EventTypeName"),
      expect.stringMatching(/id: .*purchase_price_cents: /s),
      expect.stringContaining("id: must be a decimal integer string"),
      expect.stringContaining("unsupported version 2 of CustomerCreated"),
      expect.stringContaining("account 999, which does not exist"),
    ]);

    const deadLetterStream = await system.redis.client.xrange(`${system.streamKey}:dlq`, "-", "+");
    const published = deadLetterStream
      .map(([, fields]) => fieldsOf(fields))
      .filter((fields) => fields.Consumer === "accounts" && poisonIds.includes(fields.OriginalId as string));
    expect(published.map((fields) => fields.OriginalId)).toEqual(poisonIds);
    for (const fields of published) {
      expect(fields.Reason).toBeTruthy();
      expect(Number.isNaN(Date.parse(fields.DeadLetteredAt as string))).toBe(false);
      expect(JSON.parse(fields.OriginalFields as string)).toBeObject();
    }
    expect((await health(system.accounts)).consumer.position).toBe(await lastStreamId());
  });
});

describe("an invoice that arrives before its customer", () => {
  const invoiceFor = (id: string, customerId: string, cents: number) => ({
    EventTypeName: "InvoiceCreated",
    Payload: JSON.stringify({
      id,
      customer_id: customerId,
      purchase_price_cents: cents,
      purchase_date: "2026-11-24",
      created_date: "2026-11-24T00:00:00Z",
    }),
  });
  const customerFor = (id: string) => ({
    EventTypeName: "CustomerCreated",
    Payload: JSON.stringify({
      id,
      account_id: "1",
      name: `Late ${id}`,
      created_date: "2026-11-24T00:00:00Z",
    }),
  });

  test("waits, and is applied when the customer arrives", async () => {
    await xadd(invoiceFor("7001", "777", 700));
    await system.settled();
    expect(customerTotal(await accountsOfUser1(), "777")).toBeUndefined();
    expect((await health(system.accounts)).consumer.parked).toBeGreaterThanOrEqual(1);

    await xadd(customerFor("777"));
    await system.settled();
    expect(customerTotal(await accountsOfUser1(), "777")).toBe(700);
  });

  test("is dead-lettered when its customer does not come within the wait (in stream time)", async () => {
    const invoiceId = (await xadd(invoiceFor("7002", "778", 800))) as string;
    // The next entry 1.1 s of stream time later (PARK_TIMEOUT_MS is 1000): written so, not waited for.
    await xadd(customerFor("779"), `${streamTimeOf(invoiceId) + 1100}-0`);
    await system.settled();
    await xadd(customerFor("778"));
    await system.settled();
    expect(customerTotal(await accountsOfUser1(), "778")).toBe(0);
    const [letter] = readServiceDb<{ reason: string }>(
      system.dataDir,
      "accounts",
      `SELECT reason FROM dead_letters WHERE stream_id = '${invoiceId}'`,
    );
    expect(letter?.reason).toContain("gave up after waiting 1000 ms");
  });
});

async function accountsOfUser1(): Promise<AccountView[]> {
  return (await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token })).body;
}

function customerTotal(views: AccountView[], customerId: string): number | undefined {
  return views.flatMap((view) => view.customers).find((customer) => customer.customer_id === customerId)
    ?.total_revenue_cents;
}

describe("entries we write", () => {
  test("carry EventTypeName and a snake_case JSON Payload a legacy consumer reads", async () => {
    const entries = await system.redis.client.xrange(system.streamKey, "-", "+");
    const ours = entries
      .map(([, fields]) => fieldsOf(fields))
      .filter((fields) => fields.EventId !== undefined);
    const keysByType: Record<string, string[]> = {
      AccountCreated: ["created_date", "description", "id", "name", "owned_by"],
      CustomerCreated: ["account_id", "created_date", "id", "name"],
      // Version 2 adds currency; the legacy consumer ignores keys it does not know.
      InvoiceCreated: [
        "created_date",
        "currency",
        "customer_id",
        "id",
        "purchase_date",
        "purchase_price_cents",
      ],
    };
    expect(new Set(ours.map((fields) => fields.EventTypeName))).toEqual(new Set(Object.keys(keysByType)));
    for (const fields of ours) {
      const payload = JSON.parse(fields.Payload as string) as Record<string, unknown>;
      expect(Object.keys(payload).sort()).toEqual(keysByType[fields.EventTypeName as string] as string[]);
      expect(typeof payload.id).toBe("string");
      if (fields.EventTypeName === "InvoiceCreated")
        expect(Number.isInteger(payload.purchase_price_cents)).toBe(true);
    }
  });
});

async function lastStreamId(): Promise<string> {
  const [last] = await system.redis.client.xrevrange(system.streamKey, "+", "-", "COUNT", 1);
  return last?.[0] ?? "";
}

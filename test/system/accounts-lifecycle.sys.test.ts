import { beforeAll, describe, expect, test } from "bun:test";
import type { DomainEvent } from "../../shared/events/schemas";
import { type AccountView, request } from "../support/api";
import { runOps } from "../support/ops";
import { expectProblem } from "../support/problems";
import { streamEntries, xaddEvent } from "../support/stream";
import { useSystem } from "../support/system";

const system = useSystem();
let user1: string;
let user2: string;

beforeAll(async () => {
  user1 = await system.login("user1");
  user2 = await system.login("user2");
});

const accountsUrl = (path: string) => `${system.accounts.url}${path}`;

/** A fresh account of `token`'s user, known to both services. */
async function newAccount(token: string, name = "to close"): Promise<number> {
  const created = await request<AccountView>("POST", accountsUrl("/accounts"), { token, json: { name } });
  expect(created.status).toBe(201);
  await system.settled();
  return created.body.account.id;
}

async function newCustomer(token: string, accountId: number, name: string): Promise<string> {
  const created = await request("POST", `${system.customers.url}/customers`, {
    token,
    json: { name, account_id: String(accountId) },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** Puts an event on the stream in the wire format, as the customers service publishes it. */
const publish = (event: DomainEvent) => xaddEvent(system.redis.client, system.streamKey, event);

const customerDeleted = (id: string, accountId: number): DomainEvent => ({
  type: "CustomerDeleted",
  payload: { id, account_id: String(accountId), deleted_date: new Date().toISOString() },
});

/** The stream's entries of a type, as field maps. */
const entriesOf = async (type: string) =>
  (await streamEntries(system.redis.client, system.streamKey)).filter(
    (fields) => fields.EventTypeName === type,
  );

const deletionsOf = async (accountId: number) =>
  (await entriesOf("AccountDeleted")).filter(
    (fields) => JSON.parse(fields.Payload ?? "{}").id === String(accountId),
  );

describe("DELETE /accounts/:id", () => {
  test("when the account has customers, refuses with 409 and publishes nothing; once they are deleted, deletes it (204) and publishes AccountDeleted", async () => {
    const accountId = await newAccount(user1);
    const customerId = await newCustomer(user1, accountId, "Last Customer");
    await system.settled();

    const refused = await request("DELETE", accountsUrl(`/accounts/${accountId}`), { token: user1 });
    expectProblem(refused, 409);
    await system.settled();
    expect(await deletionsOf(accountId)).toEqual([]);

    await publish(customerDeleted(customerId, accountId));
    await system.settled();
    const deleted = await request("DELETE", accountsUrl(`/accounts/${accountId}`), { token: user1 });
    expect(deleted.status).toBe(204);
    expect(deleted.body as unknown).toBe("");
    await system.settled();

    const [wire, ...more] = await deletionsOf(accountId);
    expect(more).toEqual([]);
    expect(Object.keys(wire ?? {}).sort()).toEqual(
      ["EventId", "EventTypeName", "EventVersion", "OccurredAt", "Payload"].sort(),
    );
    expect(wire).toMatchObject({ EventTypeName: "AccountDeleted", EventVersion: "1" });
    const payload = JSON.parse(wire?.Payload ?? "{}");
    expect(payload).toEqual({ id: String(accountId), owned_by: "user1", deleted_date: expect.any(String) });
    expect(Number.isNaN(Date.parse(payload.deleted_date))).toBe(false);

    expectProblem(await request("GET", accountsUrl(`/accounts/${accountId}`), { token: user1 }), 404);
    expectProblem(
      await request("GET", accountsUrl(`/accounts/${accountId}/customers`), { token: user1 }),
      404,
    );
    const listed = await request<AccountView[]>("GET", accountsUrl("/accounts"), { token: user1 });
    expect(listed.body.map((view) => view.account.id)).not.toContain(accountId);
    expectProblem(await request("DELETE", accountsUrl(`/accounts/${accountId}`), { token: user1 }), 404);
  }, 60_000);

  test("another user's account is refused with 403, an unknown or malformed id with 404, no token with 401; nothing is published", async () => {
    const before = (await entriesOf("AccountDeleted")).length;

    expectProblem(await request("DELETE", accountsUrl("/accounts/1"), { token: user2 }), 403);
    expectProblem(await request("DELETE", accountsUrl("/accounts/999999"), { token: user1 }), 404);
    expectProblem(await request("DELETE", accountsUrl("/accounts/abc"), { token: user1 }), 404);
    expectProblem(await request("DELETE", accountsUrl("/accounts/1")), 401);
    await system.settled();

    expect((await entriesOf("AccountDeleted")).length).toBe(before);
    expect((await request("GET", accountsUrl("/accounts/1"), { token: user1 })).status).toBe(200);
  }, 60_000);

  test("retried with the same Idempotency-Key, answers 204 again (replayed) and publishes one AccountDeleted; the key on another account is a 422", async () => {
    const accountId = await newAccount(user1);
    const headers = { "idempotency-key": `delete-${crypto.randomUUID()}` };

    const first = await request("DELETE", accountsUrl(`/accounts/${accountId}`), { token: user1, headers });
    const again = await request("DELETE", accountsUrl(`/accounts/${accountId}`), { token: user1, headers });

    expect([first.status, first.headers.get("idempotent-replayed")]).toEqual([204, null]);
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([204, "true"]);
    const other = await newAccount(user1);
    const reused = await request("DELETE", accountsUrl(`/accounts/${other}`), { token: user1, headers });
    expectProblem(reused, 422, ["Idempotency-Key"]);
    await system.settled();
    expect(await deletionsOf(accountId)).toHaveLength(1);
    expect(await deletionsOf(other)).toEqual([]);
    expect((await request("GET", accountsUrl(`/accounts/${other}`), { token: user1 })).status).toBe(200);
  }, 60_000);
});

describe("GET /accounts/:id/customers", () => {
  let accountId: number;
  let liveIds: string[];

  beforeAll(async () => {
    accountId = await newAccount(user1, "many customers");
    const ids: string[] = [];
    for (let n = 1; n <= 8; n++) ids.push(await newCustomer(user1, accountId, `Customer ${n}`));
    const invoice = await request("POST", `${system.customers.url}/invoices`, {
      token: user1,
      json: { customer_id: ids[0], purchase_date: "2019-01-06", purchase_price_cents: 1234 },
    });
    expect(invoice.status).toBe(201);
    await publish(customerDeleted(ids[3] as string, accountId));
    await system.settled();
    liveIds = ids.filter((id) => id !== ids[3]).sort((a, b) => Number(a) - Number(b));
  }, 60_000);

  type Page = {
    items: { customer_id: string; name: string; total_revenue_cents: number }[];
    next_after: string | null;
  };

  async function walk(limit: number): Promise<Page[]> {
    const pages: Page[] = [];
    let after: string | null = null;
    do {
      const query: string = after === null ? `limit=${limit}` : `limit=${limit}&after=${after}`;
      const reply = await request<Page>("GET", accountsUrl(`/accounts/${accountId}/customers?${query}`), {
        token: user1,
      });
      expect(reply.status).toBe(200);
      pages.push(reply.body);
      after = reply.body.next_after;
    } while (after !== null && pages.length < 20);
    return pages;
  }

  test("walks every customer that is not deleted exactly once, by id, a page at a time", async () => {
    const pages = await walk(3);

    expect(pages.map((page) => page.items.length)).toEqual([3, 3, 1]);
    expect(pages.flatMap((page) => page.items.map((item) => item.customer_id))).toEqual(liveIds);
    expect(pages.at(-1)?.next_after).toBeNull();
    expect(pages[0]?.items[0]).toEqual({
      customer_id: liveIds[0] as string,
      name: "Customer 1",
      total_revenue_cents: 1234,
    });
  });

  test("with no limit gives one page of up to 50; a limit equal to the count ends with next_after null", async () => {
    const all = await request<Page>("GET", accountsUrl(`/accounts/${accountId}/customers`), { token: user1 });
    expect(all.body).toEqual({ items: expect.any(Array), next_after: null });
    expect(all.body.items.map((item) => item.customer_id)).toEqual(liveIds);

    const exact = await walk(liveIds.length);
    expect(exact).toHaveLength(1);
  });

  const badQueries: [string, string][] = [
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=abc", "limit"],
    ["limit=-1", "limit"],
    ["limit=1.5", "limit"],
    ["limit=", "limit"],
    ["after=abc", "after"],
    ["after=0", "after"],
    ["after=01", "after"],
    ["after=", "after"],
  ];
  for (const [query, field] of badQueries) {
    test(`refuses ?${query} with 422 naming ${field}`, async () => {
      const reply = await request("GET", accountsUrl(`/accounts/${accountId}/customers?${query}`), {
        token: user1,
      });
      expectProblem(reply, 422, [field]);
    });
  }

  test("another user's account is refused with 403, an unknown one with 404, no token with 401", async () => {
    expectProblem(
      await request("GET", accountsUrl(`/accounts/${accountId}/customers`), { token: user2 }),
      403,
    );
    expectProblem(await request("GET", accountsUrl("/accounts/999999/customers"), { token: user1 }), 404);
    expectProblem(await request("GET", accountsUrl(`/accounts/${accountId}/customers`)), 401);
  });

  test("gives the same answers after accounts is killed (SIGKILL) and restarted", async () => {
    const before = {
      pages: await walk(2),
      accounts: (await request("GET", accountsUrl("/accounts"), { token: user1 })).body,
    };

    await system.accounts.kill("SIGKILL");
    await system.accounts.restart();
    await system.settled();

    const after = {
      pages: await walk(2),
      accounts: (await request("GET", accountsUrl("/accounts"), { token: user1 })).body,
    };
    expect(after).toEqual(before);
  }, 60_000);
});

describe("the read model with deletions, rebuilt from the stream", () => {
  const rebuild = (...args: string[]) => runOps(system.env, ["rebuild", "accounts", ...args]);

  test("--verify finds it identical (tombstones included), and a swap keeps every answer and deleted accounts gone", async () => {
    const accountId = await newAccount(user1, "rebuilt");
    const kept = await newCustomer(user1, accountId, "Kept");
    const gone = await newCustomer(user1, accountId, "Gone");
    for (const customerId of [kept, gone]) {
      const invoice = await request("POST", `${system.customers.url}/invoices`, {
        token: user1,
        json: { customer_id: customerId, purchase_date: "2019-01-06", purchase_price_cents: 100 },
      });
      expect(invoice.status).toBe(201);
    }
    await publish(customerDeleted(gone, accountId));
    await system.settled();
    const before = (await request("GET", accountsUrl("/accounts"), { token: user1 })).body;

    const verified = await rebuild("--verify");
    expect(verified.stdout).toContain("identical");
    expect(verified.code).toBe(0);
    const swapped = await rebuild();
    expect(swapped.code).toBe(0);
    expect(swapped.stdout).toContain("swapped it in");

    expect((await request("GET", accountsUrl("/accounts"), { token: user1 })).body).toEqual(before);
    const view = await request<AccountView>("GET", accountsUrl(`/accounts/${accountId}`), { token: user1 });
    expect(view.body.customers.map((customer) => customer.customer_id)).toEqual([kept]);
    expect(view.body.total_revenue_cents).toBe(100);
  }, 120_000);
});

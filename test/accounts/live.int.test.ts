import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { issueToken } from "../../accounts/auth/tokens";
import type { AccountView } from "../../accounts/schemas";
import { compareStreamIds } from "../../shared/events/stream-contract";
import { useAccountsApp } from "../support/accounts-app";
import { customerEntry, invoiceEntry } from "../support/entries";
import { expectProblem } from "../support/problems";
import { eventually } from "../support/resources";
import { type EventStream, readEventStream } from "../support/sse";

const streams: EventStream[] = [];
afterAll(async () => {
  for (const stream of streams) await stream.close();
});
const app = useAccountsApp();
let user1: string;
let user2: string;

beforeAll(async () => {
  user1 = await app.bearer("user1");
  user2 = await app.bearer("user2");
});

type Message = { event: string; id: string | undefined; data: Record<string, unknown> };

async function open(authorization: string, lastEventId?: string): Promise<EventStream> {
  const headers: Record<string, string> = { authorization };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const response = await app.app.handle(new Request("http://localhost/accounts/events", { headers }));
  const stream = readEventStream(response);
  streams.push(stream);
  return stream;
}

async function next(stream: EventStream): Promise<Message> {
  const message = await stream.next();
  if (!message) throw new Error("the event stream ended");
  return { event: message.event, id: message.id, data: JSON.parse(message.data) as Record<string, unknown> };
}

/** Adds entries to the stream and waits until the consumer has committed the last one. */
async function append(...entries: { fields: string[] }[]): Promise<string> {
  let id = "";
  for (const entry of entries) id = (await app.redis.client.xadd(app.streamKey, "*", ...entry.fields)) ?? "";
  // At or past it: the app's own relay may put an event after it, read in the same batch.
  await eventually(
    `accounts to apply ${id}`,
    () => compareStreamIds(app.consumer.status().position, id) >= 0,
  );
  return id;
}

const revenueOf = (data: Record<string, unknown>, accountId: number) =>
  (data.accounts as AccountView[]).find((view) => view.account.id === accountId)?.total_revenue_cents;

describe("GET /accounts/events", () => {
  test("without a token is refused with 401 and a problem body", async () => {
    const reply = await app.call("GET", "/accounts/events");
    expectProblem(reply, 401);
  });

  test("opens with a snapshot of the caller's accounts, identified by the committed stream position", async () => {
    const stream = await open(user1);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toStartWith("text/event-stream");
    const snapshot = await next(stream);
    expect(snapshot.event).toBe("snapshot");
    expect(snapshot.id).toBe(app.consumer.status().position);
    expect((snapshot.data.accounts as AccountView[]).map((view) => view.account.name)).toEqual(["one"]);
    expect(snapshot.data.resumed_from).toBeNull();
    await stream.close();
  });

  test("pushes each committed change to the owner's streams only, with the entry's stream id", async () => {
    const mine = await open(user1);
    const theirs = await open(user2);
    await next(mine);
    await next(theirs);

    const customerAt = await append(customerEntry("*", 501, 1));
    const afterCustomer = await next(mine);
    expect(afterCustomer.event).toBe("change");
    expect(afterCustomer.id).toBe(customerAt);
    expect((afterCustomer.data.accounts as AccountView[])[0]?.customers).toEqual([
      { customer_id: "501", name: "Customer 501", total_revenue_cents: 0 },
    ]);

    const invoiceAt = await append(invoiceEntry("*", 601, 501, 12_345));
    const afterInvoice = await next(mine);
    expect(afterInvoice.id).toBe(invoiceAt);
    expect(revenueOf(afterInvoice.data, 1)).toBe(12_345);
    // What the stream said is what a read now says: it was sent after the commit.
    const read = await app.call("GET", "/accounts/1", { authorization: user1 });
    expect(read.body.total_revenue_cents).toBe(12_345);

    // user2 saw neither; its first change is about its own account.
    const theirsAt = await append(customerEntry("*", 502, 2));
    const theirChange = await next(theirs);
    expect(theirChange.id).toBe(theirsAt);
    expect((theirChange.data.accounts as AccountView[]).map((view) => view.account.id)).toEqual([2]);
  });

  test("a reconnect with Last-Event-ID gets everything committed while it was away", async () => {
    const first = await open(user1);
    const seen = await next(first);
    await first.close();
    const before = revenueOf(seen.data, 1) ?? 0;

    await append(customerEntry("*", 503, 1), invoiceEntry("*", 602, 503, 700));
    const lastAt = await append(invoiceEntry("*", 603, 501, 300));

    const again = await open(user1, seen.id);
    const resumed = await next(again);
    expect(resumed.event).toBe("snapshot");
    expect(resumed.id).toBe(lastAt);
    expect(resumed.data.resumed_from).toBe(seen.id);
    expect(revenueOf(resumed.data, 1)).toBe(before + 1000);
    const customers = (resumed.data.accounts as AccountView[])[0]?.customers ?? [];
    expect(customers.map((customer) => customer.customer_id)).toContain("503");
    await again.close();
  });

  test("an account created or deleted through the API shows at once", async () => {
    const stream = await open(user1);
    await next(stream);
    const created = await app.call("POST", "/accounts", { authorization: user1, json: { name: "live" } });
    expect(created.status).toBe(201);
    const id = (created.body.account as { id: number }).id;
    const added = await next(stream);
    expect((added.data.accounts as AccountView[]).map((view) => view.account.name)).toContain("live");

    expect((await app.call("DELETE", `/accounts/${id}`, { authorization: user1 })).status).toBe(204);
    let removed = await next(stream);
    // Its own AccountCreated may come back from the stream first, changing nothing the caller sees twice.
    while ((removed.data.removed as number[]).length === 0) removed = await next(stream);
    expect(removed.data.removed).toEqual([id]);
    await stream.close();
  });

  test("ends every open stream when the hub closes (shutdown)", async () => {
    const stream = await open(user1);
    await next(stream);
    app.hub.close();
    expect(await stream.next()).toBeUndefined();
  });
});

describe("GET /accounts/events and the streams one user may hold", () => {
  test("the 21st open stream is refused with 429 and Retry-After; closing one frees its place", async () => {
    const user = await app.bearer("user2");
    const held: EventStream[] = [];
    for (let n = 0; n < 20; n++) held.push(await open(user));
    for (const stream of held) expect((await next(stream)).event).toBe("snapshot");

    const refused = await open(user);
    await held[0]?.close();
    // The cancel reaches the server's stream through the decoding pipe, a moment after close resolves.
    const admitted = await eventually("a closed stream to free its place", async () => {
      const stream = await open(user);
      return stream.status === 200 && stream;
    });

    expect([refused.status, refused.headers.get("retry-after")]).toEqual([429, "5"]);
    expect((await next(admitted)).event).toBe("snapshot");
    expect((await open(user1)).status).toBe(200);
  });
});

describe("GET /accounts/events and the token's lifetime", () => {
  test("the stream says `expired` and ends when the token expires", async () => {
    const shortLived = `Bearer ${await issueToken(app.signingKey, "user1", new Date(Date.now() - 59_000), 60)}`;
    const stream = await open(shortLived);
    expect((await next(stream)).event).toBe("snapshot");
    expect((await next(stream)).event).toBe("expired");
    expect(await stream.next()).toBeUndefined();
  });
});

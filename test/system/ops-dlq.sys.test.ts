import { describe, expect, test } from "bun:test";
import type { DomainEvent } from "../../shared/events/schemas";
import { deadLetterStreamOf } from "../../shared/events/stream-contract";
import { accountViews, request } from "../support/api";
import { runOps } from "../support/ops";
import { eventually } from "../support/resources";
import { xaddEvent } from "../support/stream";
import { type System, systemPerTest } from "../support/system";

const systems = systemPerTest();

async function withSystem(env: Record<string, string> = {}) {
  const system = await systems.start({ env });
  return { redis: system.redis, system, token: await system.login() };
}

const customerCreated = (id: string, name: string): DomainEvent => ({
  type: "CustomerCreated",
  payload: { id, account_id: "1", name, created_date: new Date().toISOString() },
});

const invoiceCreated = (id: string, customerId: string, cents: number): DomainEvent => ({
  type: "InvoiceCreated",
  payload: {
    id,
    customer_id: customerId,
    purchase_price_cents: cents,
    purchase_date: "2026-11-24",
    created_date: new Date().toISOString(),
    currency: "USD",
  },
});

/** XADDs an event as version 1 (or `version`), as another producer would. */
const xaddVersioned = (
  system: System,
  event: DomainEvent,
  options: { version?: number; streamId?: string } = {},
) => xaddEvent(system.redis.client, system.streamKey, event, { version: 1, ...options });

type ListedDeadLetter = { id: string; consumer: string; originalId: string; reason: string };

async function deadLetters(system: System): Promise<ListedDeadLetter[]> {
  const listed = await runOps(system.env, ["dlq", "list", "--json"]);
  expect(listed.code).toBe(0);
  return JSON.parse(listed.stdout) as ListedDeadLetter[];
}

describe("dlq", () => {
  test("a future-version entry dead-lettered by both consumers is listed, inspected and purged", async () => {
    const { redis, system } = await withSystem();
    const poisonId = await xaddVersioned(system, customerCreated("777", "From the future"), {
      version: 2,
    });
    await system.settled();
    const dlqKey = deadLetterStreamOf(system.streamKey);
    await eventually("both consumers to dead-letter it", async () => (await redis.client.xlen(dlqKey)) === 2);

    const letters = await deadLetters(system);
    expect(letters.map((letter) => letter.consumer).sort()).toEqual(["accounts", "customers"]);
    for (const letter of letters) {
      expect(letter.originalId).toBe(poisonId);
      expect(letter.reason).toBe("unsupported version 2 of CustomerCreated");
    }
    const table = await runOps(system.env, ["dlq", "list"]);
    expect(table.code).toBe(0);
    for (const letter of letters) {
      expect(table.stdout).toMatch(
        new RegExp(`^${letter.id} +${letter.consumer} +${poisonId} +unsupported`, "m"),
      );
    }
    const newest = await runOps(system.env, ["dlq", "list", "--limit", "1"]);
    expect(newest.stdout).toContain(letters[1]?.id as string);
    expect(newest.stdout).not.toContain(letters[0]?.id as string);
    expect(newest.stdout).toContain("the newest 1 of 2");

    const accountsLetter = letters.find((letter) => letter.consumer === "accounts");
    const customersLetter = letters.find((letter) => letter.consumer === "customers");
    const inspected = await runOps(system.env, ["dlq", "inspect", accountsLetter?.id as string]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain("Consumer:        accounts");
    expect(inspected.stdout).toContain(`OriginalId:      ${poisonId}`);
    expect(inspected.stdout).toContain('"EventVersion": "2"');
    expect(inspected.stdout).toContain('"name": "From the future"');
    const missing = await runOps(system.env, ["dlq", "inspect", "1-0"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no dead letter 1-0");
    expect((await runOps(system.env, ["dlq", "inspect", "not-an-id"])).code).toBe(2);

    const one = await runOps(system.env, ["dlq", "purge", customersLetter?.id as string]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("purged 1 dead letter");
    expect((await runOps(system.env, ["dlq", "purge", customersLetter?.id as string])).code).toBe(1);
    const noneOfCustomers = await runOps(system.env, ["dlq", "purge", "--all", "--consumer", "customers"]);
    expect(noneOfCustomers.stdout).toContain("purged 0 dead letters");
    const nobody = await runOps(system.env, ["dlq", "purge", "--all", "--consumer", "nobody"]);
    expect(nobody).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'ops: unknown consumer "nobody" (the consumers are accounts, customers)\n(npm run ops -- dlq --help for its usage)\n',
    });
    expect(await redis.client.xlen(dlqKey)).toBe(1);
    const all = await runOps(system.env, ["dlq", "purge", "--all"]);
    expect(all.stdout).toContain("purged 1 dead letter");
    expect(await redis.client.xlen(dlqKey)).toBe(0);
    expect((await runOps(system.env, ["dlq", "list"])).stdout).toContain(`${dlqKey} is empty`);
  }, 60_000);

  test("an invoice dead-lettered while its customer was missing is redriven once the customer exists and counted once", async () => {
    const { redis, system, token } = await withSystem({ PARK_TIMEOUT_MS: "1" });
    const grace = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Grace", account_id: "1" },
    });
    expect(grace.status).toBe(201);
    await system.settled();

    const orphanId = await xaddVersioned(system, invoiceCreated("900", "4242", 1500));
    // A later entry, 2 ms of stream time on: the parked invoice has waited past PARK_TIMEOUT_MS.
    const later = `${Number(orphanId.split("-")[0]) + 2}-0`;
    await xaddVersioned(system, invoiceCreated("901", grace.body.id as string, 250), { streamId: later });
    await system.settled();
    const [letter] = await eventually("accounts to dead-letter the invoice", async () => {
      const letters = await deadLetters(system);
      return letters.length === 1 ? letters : undefined;
    });
    expect(letter?.consumer).toBe("accounts");
    expect(letter?.originalId).toBe(orphanId);
    expect(letter?.reason).toContain("invoice 900 names customer 4242, not seen yet");

    await xaddVersioned(system, customerCreated("4242", "Late"));
    await system.settled();
    expect((await accountViews(system.accounts.url, token))[0]?.total_revenue_cents).toBe(250);

    const redriven = await runOps(system.env, ["dlq", "redrive", letter?.id as string]);
    expect(redriven.code).toBe(0);
    const newId = /-> ([0-9]+-[0-9]+)/.exec(redriven.stdout)?.[1] as string;
    const [original] = await redis.client.xrange(system.streamKey, orphanId, orphanId);
    const [copy] = await redis.client.xrange(system.streamKey, newId, newId);
    // The original entry, aimed at the consumer that dead-lettered it.
    expect(copy?.[1]).toEqual([...(original?.[1] ?? []), "RedrivenFor", "accounts"]);
    expect(await redis.client.xlen(deadLetterStreamOf(system.streamKey))).toBe(0);

    await system.settled();
    const [account] = await accountViews(system.accounts.url, token);
    expect(account?.total_revenue_cents).toBe(1750);
    expect(account?.customers.find((customer) => customer.customer_id === "4242")?.total_revenue_cents).toBe(
      1500,
    );

    const again = await runOps(system.env, ["dlq", "redrive", letter?.id as string]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no dead letter ${letter?.id}`);
    await system.settled();
    expect((await accountViews(system.accounts.url, token))[0]?.total_revenue_cents).toBe(1750);
  }, 60_000);

  test("redrive --all --consumer puts back only that consumer's dead letters, each for that consumer alone", async () => {
    const { redis, system } = await withSystem();
    const poisonId = await xaddVersioned(system, customerCreated("778", "Still from the future"), {
      version: 2,
    });
    await system.settled();
    const before = await eventually("both consumers to dead-letter it", async () => {
      const letters = await deadLetters(system);
      return letters.length === 2 ? letters : undefined;
    });
    expect((await runOps(system.env, ["dlq", "redrive", "--all", "--consumer", "nobody"])).code).toBe(2);

    const redriven = await runOps(system.env, ["dlq", "redrive", "--all", "--consumer", "accounts"]);
    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toContain("redrove 1 dead letter onto");
    const copyId = /-> ([0-9]+-[0-9]+)/.exec(redriven.stdout)?.[1] as string;

    // Still a future version: accounts dead-letters the copy again; customers, which it is not for,
    // passes it (its position moves past it) and the list does not grow.
    await system.settled();
    const after = await eventually("accounts to dead-letter the copy again", async () => {
      const letters = await deadLetters(system);
      return letters.some((letter) => letter.originalId === copyId) ? letters : undefined;
    });
    expect(after).toHaveLength(2);
    const ids = after.map((letter) => letter.id);
    expect(ids).toContain(before.find((letter) => letter.consumer === "customers")?.id as string);
    expect(ids).not.toContain(before.find((letter) => letter.consumer === "accounts")?.id as string);
    expect(after.filter((letter) => letter.originalId === copyId).map((letter) => letter.consumer)).toEqual([
      "accounts",
    ]);
    expect(after.filter((letter) => letter.originalId === poisonId)).toHaveLength(1);
    const positions = await redis.client.hgetall(`${system.streamKey}:positions`);
    expect(positions.customers).toBe(copyId);

    // Redriven again, the copy of the copy is aimed at accounts once more (one RedrivenFor field).
    const again = await runOps(system.env, ["dlq", "redrive", "--all", "--consumer", "accounts"]);
    const secondId = /-> ([0-9]+-[0-9]+)/.exec(again.stdout)?.[1] as string;
    const [second] = await redis.client.xrange(system.streamKey, secondId, secondId);
    expect(second?.[1].filter((field) => field === "RedrivenFor")).toHaveLength(1);
    expect(second?.[1].at(-1)).toBe("accounts");
    await system.settled();
    expect(await deadLetters(system)).toHaveLength(2);
  }, 60_000);
});

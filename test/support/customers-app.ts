import { uuidv7 } from "uuidv7";
import { accountCreated } from "../../accounts/domain";
import { createAccountsView } from "../../customers/accounts-view";
import { createApp } from "../../customers/app";
import { createCustomersStore } from "../../customers/store";
import { customers, invoices, knownAccounts } from "../../customers/tables";
import type { DomainEvent } from "../../shared/events/schemas";
import { compareStreamIds } from "../../shared/events/stream-contract";
import { idempotencyKeys } from "../../shared/http/idempotency";
import { appHarness, authenticatorOf, DASHBOARD_ORIGIN, openAppResources } from "./app-harness";
import { beforeAllTests } from "./lifecycle";
import { eventually } from "./resources";
import { streamEntries, xaddEvent } from "./stream";

export type CustomersHarness = Awaited<ReturnType<typeof startCustomersApp>>;

/** `accounts`: the accounts (id: owner) to publish before the tests, as accounts would. */
export type CustomersAppOptions = { accounts?: Record<number, string> };

/** The customers app in process, its consumer reading AccountCreated entries the test adds to the stream. */
export async function startCustomersApp(options: CustomersAppOptions = {}) {
  const resources = await openAppResources("customers", (db, clock) =>
    createAccountsView({ db, now: clock.now, newId: uuidv7 }),
  );
  const { clock, consumer, database, signingKey, redis, streamKey } = resources;
  const app = createApp({
    ...resources,
    dashboardOrigins: [DASHBOARD_ORIGIN],
    redis: resources.connection,
    db: database.db,
    store: createCustomersStore(database.db),
    authenticate: authenticatorOf(signingKey.publicKey, clock),
    now: clock.now,
    newEventId: uuidv7,
  });
  const harness = {
    ...appHarness(resources, app, {
      known_accounts: knownAccounts,
      customers,
      invoices,
      idempotency_keys: idempotencyKeys,
    }),
    app,
    /** XADDs an AccountCreated entry in the wire format and waits until the consumer has applied it. */
    async publishAccount(id: number, ownedBy: string): Promise<void> {
      const createdDate = clock.now().toISOString();
      const account = {
        id,
        name: `account ${id}`,
        description: "",
        ownedBy,
        createdDate,
        totalRevenueCents: 0,
      };
      await harness.publish(accountCreated(account));
    },
    /** XADDs an event in the wire format and waits until the consumer has read past it. */
    async publish(event: DomainEvent): Promise<void> {
      const entryId = await xaddEvent(redis.client, streamKey, event, { at: clock.now() });
      // At or past it: the app's own relay may put an event after it, read in the same batch.
      await eventually(
        `customers to apply ${entryId}`,
        () => compareStreamIds(consumer.status().position, entryId) >= 0,
      );
    },
    /** The stream's entries, as field maps, oldest first. */
    entries: () => streamEntries(redis.client, streamKey),
  };
  try {
    for (const [id, owner] of Object.entries(options.accounts ?? {}))
      await harness.publishAccount(Number(id), owner);
  } catch (error) {
    await harness.close();
    throw error;
  }
  return harness;
}

/** The customers app, started before the tests of the file (or describe block) and closed after them. */
export function useCustomersApp(options: CustomersAppOptions = {}): CustomersHarness {
  return beforeAllTests(
    () => startCustomersApp(options),
    (app) => app.close(),
  );
}

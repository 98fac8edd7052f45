import { uuidv7 } from "uuidv7";
import { createAuthenticator, remoteSigningKeys } from "../shared/http/auth";
import { runMain } from "../shared/service/lifecycle";
import { startService } from "../shared/service/startup";
import { createAccountsView } from "./accounts-view";
import { createApp } from "./app";
import { createRecentIds } from "./recent-ids";
import { createCustomersStore } from "./store";

const OWN_EVENTS_REMEMBERED = 20_000;

await runMain("customers", async () => {
  const service = startService("customers");
  const { config, now } = service;
  const { db } = service.openDatabase();
  // Events this process published, so its view passes them without decoding when it reads them back. The
  // reader is normally a few hundred entries behind the relay; further behind, they are decoded as any.
  const published = createRecentIds(OWN_EVENTS_REMEMBERED);
  const { appDeps } = service.startPlumbing(db, {
    projection: createAccountsView({ db, now, newId: uuidv7, isOwnEvent: published.has }),
    onPublished: (eventIds) => {
      for (const eventId of eventIds) published.add(eventId);
    },
  });
  const app = createApp({
    ...appDeps,
    store: createCustomersStore(db),
    authenticate: createAuthenticator(
      remoteSigningKeys(config.ACCOUNTS_URL, { cacheSeconds: config.JWKS_CACHE_SECONDS }),
    ),
  });
  await service.serve(app, config.CUSTOMERS_PORT);
});

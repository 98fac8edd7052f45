import { generateKeyPair, SignJWT } from "jose";
import { uuidv7 } from "uuidv7";
import { createApp } from "../customers/app";
import { createCustomersStore } from "../customers/store";
import { createAuthenticator, TOKEN_AUDIENCE, TOKEN_ISSUER } from "../shared/http/auth";
import { createMetrics } from "../shared/http/metrics";
import { createLogger } from "../shared/process/log";
import type { Consumer } from "../shared/projection/consumer";
import type { Redis } from "../shared/stream/redis";
import { measure, seededCustomersDatabase } from "./in-process";

// In-process cost of POST /invoices through the whole customers app (hooks, auth, zod, SQLite, group
// commit with FULL fsync), without HTTP sockets, Redis or the relay: µs of wall and CPU time per request.
// `bun bench/request-path.ts 2>/dev/null`; add --cpu-prof-md to see where it goes. Not part of the suite.
const database = seededCustomersDatabase("request-path-");
const { privateKey, publicKey } = await generateKeyPair("ES256");
const token = await new SignJWT({})
  .setProtectedHeader({ alg: "ES256", kid: "k" })
  .setIssuer(TOKEN_ISSUER)
  .setAudience(TOKEN_AUDIENCE)
  .setSubject("user1")
  .setIssuedAt()
  .setExpirationTime("1h")
  .sign(privateKey);
// Request log lines go to stderr as in the service: run with 2>/dev/null (or a file).
const logger = createLogger("customers", "info");
const app = createApp({
  db: database.db,
  store: createCustomersStore(database.db),
  authenticate: createAuthenticator(publicKey),
  relay: { notify() {} },
  consumer: {} as Consumer,
  redis: {} as Redis,
  stuckAfterMs: 1000,
  metrics: createMetrics("customers"),
  logger,
  now: () => new Date(),
  newEventId: uuidv7,
  dashboardOrigins: [],
});
let counter = 0;
const request = () => {
  counter++;
  return new Request("http://127.0.0.1:3000/invoices", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      "idempotency-key": `k-${counter}`,
    },
    body: JSON.stringify({
      customer_id: String((counter % 20) + 1),
      purchase_date: "2024-05-17",
      purchase_price_cents: 100 + (counter % 900),
    }),
  });
};
const concurrency = Number(process.env.CONCURRENCY ?? 50);
const total = Number(process.env.REQUESTS ?? 20000);
async function run(n: number) {
  for (let done = 0; done < n; done += concurrency) {
    const replies = await Promise.all(Array.from({ length: concurrency }, () => app.handle(request())));
    for (const reply of replies)
      if (reply.status !== 201) throw new Error(`status ${reply.status}: ${await reply.text()}`);
  }
}
const { wallUs, cpu } = await measure(total, run);
process.stdout.write(
  `${total} requests: ${(wallUs / total).toFixed(1)} µs wall, ${((cpu.user + cpu.system) / total).toFixed(1)} µs cpu (${(cpu.system / total).toFixed(1)} sys) per request; ${Math.round(total / (wallUs / 1e6))} req/s\n`,
);
database.remove();

import type { Database } from "bun:sqlite";
import { join } from "node:path";
import { eventually, freePort } from "../test/support/resources";
import { CLIENT_IP_HEADER } from "./login-flood";
import { type BenchProcess, openReadOnly, ROOT, spawnBun, startService } from "./support";
import { runWrk } from "./wrk";

/** Both services on one Redis, with a user's token and customers to invoice, plus the hello-world baseline. */
export type HttpSystem = {
  customers: BenchProcess;
  accounts: BenchProcess;
  hello: BenchProcess;
  token: string;
  customerIds: string[];
  /** accounts' read model, read-only. */
  readModel: Database;
  stop(): Promise<void>;
};

export async function startHttpSystem(redisUrl: string, dir: string): Promise<HttpSystem> {
  const accountsPort = freePort();
  const env = {
    REDIS_URL: redisUrl,
    STREAM_KEY: "bench-http",
    DATA_DIR: join(dir, "http"),
    ACCOUNTS_PORT: String(accountsPort),
    CUSTOMERS_PORT: String(freePort()),
    ACCOUNTS_URL: `http://127.0.0.1:${accountsPort}`,
    // The login flood speaks for many client addresses from this one process.
    CLIENT_IP_HEADER,
  };
  const accounts = await startService("accounts", env, join(dir, "accounts-http.log"));
  const customers = await startService("customers", env, join(dir, "customers-http.log"));
  const hello = await startHello(dir);
  const token = await login(accounts.url);
  // customers learns account 1 from its AccountCreated event; until then it answers 422.
  const customerIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = await eventually(
      "customers to accept a customer on account 1",
      async () => {
        const response = await fetch(`${customers.url}/customers`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ name: `bench customer ${i}`, account_id: "1" }),
        });
        return response.status === 201 ? ((await response.json()) as { id: string }).id : undefined;
      },
      20_000,
      50,
    );
    customerIds.push(id);
  }
  const readModel = openReadOnly(join(env.DATA_DIR, "accounts.sqlite"));
  return {
    customers,
    accounts,
    hello,
    token,
    customerIds,
    readModel,
    async stop() {
      readModel.close();
      await Promise.all([customers.stop(), accounts.stop(), hello.stop()]);
    },
  };
}

async function startHello(dir: string): Promise<BenchProcess> {
  const port = freePort();
  return spawnBun({
    name: "hello",
    script: join(ROOT, "bench", "hello.ts"),
    env: { PORT: String(port) },
    port,
    logFile: join(dir, "hello.log"),
    ready: async (url) => (await fetch(`${url}/health`)).ok,
  });
}

async function login(accountsUrl: string): Promise<string> {
  const response = await fetch(`${accountsUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "user1", password: "password1" }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export function invoicesVisible(readModel: Database): number {
  return readModel.query<{ n: number }, []>("SELECT count(*) AS n FROM invoices").get()?.n ?? 0;
}

export type IngestRound = {
  baselineRps: number;
  subjectRps: number;
  ratio: number;
  subjectP50Ms: number;
  subjectP99Ms: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  errors: number;
  /** Invoices acknowledged over the time from the start of the run until the last is in the read model. */
  endToEndRps: number;
  endToEndRatio: number;
  /** CPU time customers used per acknowledged invoice during the subject's run, in µs (where it goes). */
  customersCpuUsPerInvoice: number;
  /** The same for accounts, which applies each invoice from the stream. */
  accountsCpuUsPerInvoice: number;
};

/**
 * Figure 1 and the rate of figure 2: wrk at full load on the hello-world route, then on POST /invoices;
 * after the subject's run, the time until every acknowledged invoice is in accounts' read model.
 */
export async function ingestRound(
  system: HttpSystem,
  options: { round: number; seconds: number; connections: number },
): Promise<IngestRound> {
  const common = {
    connections: options.connections,
    seconds: options.seconds,
    token: system.token,
    customers: system.customerIds,
  };
  const baseline = await runWrk({ ...common, url: system.hello.url, keyPrefix: `hello-${options.round}` });
  const before = invoicesVisible(system.readModel);
  const cpuBefore = { customers: system.customers.cpuSeconds(), accounts: system.accounts.cpuSeconds() };
  const started = performance.now();
  const subject = await runWrk({
    ...common,
    url: system.customers.url,
    keyPrefix: `ingest-${options.round}-${Date.now()}`,
  });
  const acknowledged = subject.requests - subject.statusErrors;
  await eventually(
    "accounts to show every acknowledged invoice",
    () => (invoicesVisible(system.readModel) >= before + acknowledged ? true : undefined),
    120_000,
    2,
  );
  const endToEndSeconds = (performance.now() - started) / 1000;
  const cpuUsPerInvoice = (process: BenchProcess, before: number) =>
    acknowledged > 0 ? ((process.cpuSeconds() - before) * 1e6) / acknowledged : 0;
  const endToEndRps = acknowledged / endToEndSeconds;
  return {
    baselineRps: baseline.requestsPerSecond,
    subjectRps: subject.requestsPerSecond,
    ratio: subject.requestsPerSecond / baseline.requestsPerSecond,
    subjectP50Ms: subject.p50Ms,
    subjectP99Ms: subject.p99Ms,
    baselineP50Ms: baseline.p50Ms,
    baselineP99Ms: baseline.p99Ms,
    errors: subject.statusErrors + subject.socketErrors,
    endToEndRps,
    endToEndRatio: endToEndRps / subject.requestsPerSecond,
    customersCpuUsPerInvoice: cpuUsPerInvoice(system.customers, cpuBefore.customers),
    accountsCpuUsPerInvoice: cpuUsPerInvoice(system.accounts, cpuBefore.accounts),
  };
}

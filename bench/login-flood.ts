import { join } from "node:path";
import { spawnRedisServer } from "../scripts/redis-server";
import { freePort, tempDir } from "../test/support/resources";
import { median, startService } from "./support";

export type LoginFloodRound = {
  /** A correct login from a quiet address with nothing else going on: the median of QUIET_LOGINS, ms. */
  baselineMs: number;
  /** The same logins, one after another, while the flood is in: their median and the slowest, ms. */
  quietP50Ms: number;
  quietMaxMs: number;
  /** How the flood was answered (401: its password was checked; 429: refused unchecked). */
  floodChecked: number;
  floodRefused: number;
  /** From the flood's first request until its last answer, s. */
  floodSeconds: number;
};

const FLOOD_ADDRESSES = 3;
const QUIET_LOGINS = 5;

/** The header the bench's accounts trusts for client addresses, so one process can speak for many. */
export const CLIENT_IP_HEADER = "x-forwarded-for";

async function loginFrom(accountsUrl: string, address: string, username: string, password: string) {
  const response = await fetch(`${accountsUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", [CLIENT_IP_HEADER]: address },
    body: JSON.stringify({ username, password }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** QUIET_LOGINS correct logins as user1 from `address`, one after another: each one's latency, ms. */
async function quietLogins(accountsUrl: string, address: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < QUIET_LOGINS; i++) {
    const started = performance.now();
    const status = await loginFrom(accountsUrl, address, "user1", "password1");
    if (status !== 200) throw new Error(`the quiet login answered ${status}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/**
 * Figure 6: a login from a quiet address during a flood. FLOOD_ADDRESSES addresses each send `perAddress`
 * logins with wrong passwords all at once (as issue 23's probe did: 300 from three); once they are in, a
 * quiet address logs in correctly, QUIET_LOGINS times in a row. Baseline: the same logins with no flood.
 */
export async function loginFloodRound(
  accountsUrl: string,
  options: { round: number; perAddress: number },
): Promise<LoginFloodRound> {
  const quiet = `198.51.100.${options.round}`;
  const baseline = await quietLogins(accountsUrl, quiet);
  const started = performance.now();
  const flood = Promise.all(
    Array.from({ length: FLOOD_ADDRESSES * options.perAddress }, (_, i) =>
      loginFrom(accountsUrl, `10.${options.round}.${i % FLOOD_ADDRESSES}.1`, `flood-${i}`, "wrong guess"),
    ),
  ).then((statuses) => ({ statuses, seconds: (performance.now() - started) / 1000 }));
  // Let the flood's requests reach accounts before the quiet ones.
  await Bun.sleep(100);
  const during = await quietLogins(accountsUrl, quiet);
  const { statuses, seconds } = await flood;
  return {
    baselineMs: median(baseline),
    quietP50Ms: median(during),
    quietMaxMs: Math.max(...during),
    floodChecked: statuses.filter((status) => status === 401).length,
    floodRefused: statuses.filter((status) => status === 429).length,
    floodSeconds: seconds,
  };
}

// `bun bench/login-flood.ts [rounds]`: this figure alone, against an accounts process of its own.
if (import.meta.main) {
  const rounds = Number(process.argv[2] ?? 3);
  const dir = tempDir("streamledger-login-flood-");
  const redisPort = freePort();
  const redis = await spawnRedisServer({ port: redisPort, dir: join(dir.path, "redis") });
  const env = {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    DATA_DIR: join(dir.path, "data"),
    ACCOUNTS_PORT: String(freePort()),
    CLIENT_IP_HEADER,
  };
  const accounts = await startService("accounts", env, join(dir.path, "accounts.log"));
  try {
    for (let round = 1; round <= rounds; round++) {
      const measured = await loginFloodRound(accounts.url, { round, perAddress: 100 });
      process.stdout.write(`${JSON.stringify(measured)}\n`);
    }
  } finally {
    await accounts.stop();
    redis.kill("SIGKILL");
    await redis.exited;
    dir.remove();
  }
}

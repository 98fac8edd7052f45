import { eventually } from "../test/support/resources";
import type { HttpSystem } from "./ingest";
import { percentile } from "./support";
import { runWrk } from "./wrk";

export type LatencyRound = {
  /** The rate wrk aimed at (half the round's full ingest rate) and the rate it made. */
  targetRps: number;
  offeredRps: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
};

const PACED_CONNECTIONS = 16;

/**
 * Figure 2's latency: wrk paces POST /invoices at about half of `fullRps` while a probe posts one invoice
 * at a time and measures from its 201 until accounts' read model holds it.
 */
export async function latencyRound(
  system: HttpSystem,
  options: { round: number; seconds: number; fullRps: number },
): Promise<LatencyRound> {
  const targetRps = options.fullRps / 2;
  // Each connection waits this long after each response; a response takes a millisecond or two at this load.
  const delayMs = Math.max(1, Math.round((PACED_CONNECTIONS / targetRps) * 1000 - 1));
  let probing = true;
  const load = runWrk({
    url: system.customers.url,
    connections: PACED_CONNECTIONS,
    seconds: options.seconds,
    token: system.token,
    customers: system.customerIds,
    keyPrefix: `paced-${options.round}-${Date.now()}`,
    delayMs,
  }).finally(() => {
    probing = false;
  });
  const latencies = await probe(system, () => probing, `probe-${options.round}-${Date.now()}`);
  const paced = await load;
  return {
    targetRps,
    offeredRps: paced.requestsPerSecond,
    samples: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
  };
}

async function probe(system: HttpSystem, running: () => boolean, keyPrefix: string): Promise<number[]> {
  const visible = system.readModel.query<{ id: number }, [number]>("SELECT id FROM invoices WHERE id = ?");
  const latencies: number[] = [];
  // Let wrk's connections open first.
  await Bun.sleep(200);
  for (let n = 0; running(); n++) {
    const response = await fetch(`${system.customers.url}/invoices`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${system.token}`,
        "content-type": "application/json",
        "idempotency-key": `${keyPrefix}-${n}`,
      },
      body: JSON.stringify({
        customer_id: system.customerIds[0],
        purchase_date: "2024-05-17",
        purchase_price_cents: 1234,
      }),
    });
    const acknowledgedAt = performance.now();
    if (response.status !== 201) throw new Error(`probe invoice answered ${response.status}`);
    const id = Number(((await response.json()) as { id: string }).id);
    await eventually("the probe invoice in accounts", () => visible.get(id) ?? undefined, 30_000, 1);
    latencies.push(performance.now() - acknowledgedAt);
    await Bun.sleep(5);
  }
  return latencies;
}

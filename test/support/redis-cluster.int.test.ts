import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createProgress } from "./progress";
import { type TestRedisCluster, useRedisCluster } from "./redis-cluster";
import { BUS_PORT_OFFSET, createClusterNode, freeClusterPort } from "./redis-cluster-node";
import { infoField } from "./redis-cluster-topology";
import { tempDir } from "./resources";

const PARTITION_KEYS = Array.from({ length: 8 }, (_, partition) => `s:{${partition}}`);

/** What a node's INFO replication says, over a connection of its own. */
async function replicationOf(cluster: TestRedisCluster, port: number): Promise<string> {
  const node = new Redis({ port, host: "127.0.0.1", ...cluster.credentials, lazyConnect: true });
  try {
    await node.connect();
    return await node.info("replication");
  } finally {
    node.disconnect();
  }
}

/**
 * XADDs numbered entries to `key` one after another until `stop()`; with `waitForReplica`, each is followed
 * by WAIT 1 in the same pipeline. Collects the ids of the entries the server acknowledged, and of those a
 * replica confirmed.
 */
function startWriter(cluster: TestRedisCluster, key: string, options: { waitForReplica: boolean }) {
  const acknowledged: string[] = [];
  const confirmed: string[] = [];
  const counts = { acknowledged: createProgress(), confirmed: createProgress() };
  const append = async (seq: number) => {
    await appendOne(seq);
    counts.acknowledged.set(acknowledged.length);
    counts.confirmed.set(confirmed.length);
  };
  const appendOne = async (seq: number) => {
    if (!options.waitForReplica) {
      acknowledged.push((await cluster.client.xadd(key, "*", "seq", String(seq))) as string);
      return;
    }
    const results = await cluster.client
      .pipeline()
      .xadd(key, "*", "seq", String(seq))
      .call("WAIT", 1, 1000)
      .exec();
    const [added, waited] = results ?? [];
    if (added && !added[0] && typeof added[1] === "string") {
      acknowledged.push(added[1]);
      if (waited && !waited[0] && Number(waited[1]) >= 1) confirmed.push(added[1]);
    }
  };
  let running = true;
  const failures: unknown[] = [];
  const done = (async () => {
    for (let seq = 0; running; seq++) await append(seq).catch((error) => failures.push(error));
  })();
  return {
    acknowledged,
    confirmed,
    failures,
    /** Resolves once `count` entries are acknowledged (or confirmed by a replica), or the writer stops. */
    reached: (which: keyof typeof counts, count: number) => counts[which].reached(count),
    async stop() {
      running = false;
      await done;
      counts.acknowledged.end();
      counts.confirmed.end();
    },
  };
}

async function entryIds(cluster: TestRedisCluster, key: string): Promise<string[]> {
  return (await cluster.client.xrange(key, "-", "+")).map(([id]) => id);
}

describe("a 3-master Redis Cluster with one replica each", () => {
  const cluster = useRedisCluster();

  test("forms with 3 masters, each followed by one replica whose link to it is up", async () => {
    const masters = cluster().nodes.filter((node) => node.role === "master");
    const replicas = cluster().nodes.filter((node) => node.role === "replica");
    expect(masters).toHaveLength(3);
    expect(replicas.map((replica) => replica.masterPort).sort()).toEqual(
      masters.map((master) => master.port).sort(),
    );
    for (const replica of replicas) {
      expect(infoField(await replicationOf(cluster(), replica.port), "master_link_status")).toBe("up");
    }
    expect(cluster().seeds.split(",").sort()).toEqual(
      cluster()
        .nodes.map((node) => `127.0.0.1:${node.port}`)
        .sort(),
    );
  });

  test("spreads the keys s:{0}..s:{7} over at least 2 masters", async () => {
    const owners = await Promise.all(PARTITION_KEYS.map((key) => cluster().masterOf(key)));
    const masterPorts = cluster()
      .nodes.filter((node) => node.role === "master")
      .map((node) => node.port);
    expect(owners.every((port) => masterPorts.includes(port))).toBe(true);
    expect(new Set(owners).size).toBeGreaterThanOrEqual(2);
  });

  test("moves a slot to another master while a client keeps writing to it, and loses no write", async () => {
    const key = PARTITION_KEYS[3] as string;
    const slot = await cluster().slotOf(key);
    const from = await cluster().masterOf(key);
    const to = cluster().nodes.find((node) => node.role === "master" && node.port !== from)?.port as number;
    const writer = startWriter(cluster(), key, { waitForReplica: false });
    await writer.reached("acknowledged", 50);

    await cluster().reshard(slot, to);
    const acknowledgedAtMove = writer.acknowledged.length;
    await writer.reached("acknowledged", acknowledgedAtMove + 50);
    await writer.stop();

    expect(writer.failures).toEqual([]);
    expect(await cluster().masterOf(key)).toBe(to);
    expect(await entryIds(cluster(), key)).toEqual(writer.acknowledged);
  });
});

describe("a master SIGKILLed under writes", () => {
  const cluster = useRedisCluster();

  test("is replaced by its replica, which holds every entry WAIT confirmed; restarted, it follows the new master", async () => {
    const key = PARTITION_KEYS[0] as string;
    const dead = await cluster().masterOf(key);
    const writer = startWriter(cluster(), key, { waitForReplica: true });
    await writer.reached("confirmed", 50);

    await cluster().kill(dead);
    const promoted = await cluster().waitForFailover(dead);
    await writer.stop();

    expect(cluster().nodes.find((node) => node.port === promoted)?.masterPort).toBe(dead);
    expect(await cluster().masterOf(key)).toBe(promoted);
    const stored = new Set(await entryIds(cluster(), key));
    expect(writer.confirmed.filter((id) => !stored.has(id))).toEqual([]);

    await cluster().restart(dead);
    const rejoined = (await cluster().topology()).find((node) => node.port === dead);
    expect(rejoined).toMatchObject({ role: "replica", masterPort: promoted });
  });
});

describe("a Redis Cluster whose nodes require an ACL user", () => {
  const cluster = useRedisCluster({ acl: { username: "app", password: "cluster-secret-5d1e" } });

  test("serves its ACL user on every master, and replicas replicate as that user", async () => {
    await Promise.all(PARTITION_KEYS.map((key) => cluster().client.set(key, key)));
    expect(await Promise.all(PARTITION_KEYS.map((key) => cluster().client.get(key)))).toEqual(PARTITION_KEYS);
    for (const replica of cluster().nodes.filter((node) => node.role === "replica")) {
      expect(infoField(await replicationOf(cluster(), replica.port), "master_link_status")).toBe("up");
    }
  });

  test.each([
    ["a wrong password", { password: "not-the-secret" }, /WRONGPASS/],
    ["no credentials", { username: undefined, password: undefined }, /NOAUTH/],
  ])("refuses a client with %s", async (_, credentials, reason) => {
    const refused = cluster().connect({ redisOptions: credentials, clusterRetryStrategy: () => null });
    const nodeErrors: string[] = [];
    refused.on("node error", (error: Error) => nodeErrors.push(error.message));

    await expect(refused.set("s:{0}", "intruder")).rejects.toThrow();
    expect(nodeErrors.length).toBeGreaterThan(0);
    expect(nodeErrors.every((message) => reason.test(message))).toBe(true);
    expect(await cluster().client.get("s:{0}")).not.toBe("intruder");
  });
});

describe("a cluster node", () => {
  test.each([
    ["its port", 0],
    ["its cluster bus port (port + 10000)", BUS_PORT_OFFSET],
  ])("when %s is taken, reports that it did not start, so another port can be tried", async (_, offset) => {
    const port = freeClusterPort(new Set());
    const holder = Bun.listen({ hostname: "127.0.0.1", port: port + offset, socket: { data() {} } });
    const dir = tempDir("streamledger-cluster-node-");
    const node = createClusterNode(port, dir.path, {
      nodeTimeoutMs: 1000,
      appendfsync: "always",
      credentials: null,
    });
    try {
      expect(await node.start()).toBe(false);
      expect(node.isRunning()).toBe(false);
    } finally {
      await node.close();
      holder.stop(true);
      dir.remove();
    }
  });
});

import { afterAll, beforeAll } from "bun:test";
import { join } from "node:path";
import { Cluster, type ClusterOptions } from "ioredis";
import { runToExit } from "../../bench/support";
import { runningView, untilHealthy } from "./redis-cluster-health";
import {
  type ClusterCredentials,
  type ClusterNodeProcess,
  type ClusterNodeSettings,
  createClusterNode,
  freeClusterPort,
  redisCliAuth,
} from "./redis-cluster-node";
import { moveSlot } from "./redis-cluster-reshard";
import { type ClusterNodeView, ownerOfSlot } from "./redis-cluster-topology";
import { eventually, tempDir } from "./resources";

export type { ClusterCredentials } from "./redis-cluster-node";

export type RedisClusterOptions = {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a silent node takes to be failed over. */
  nodeTimeoutMs?: number;
  /** AOF fsync policy of every node; "always" (the default) as for the single test Redis. */
  appendfsync?: ClusterNodeSettings["appendfsync"];
  /** Start every node with this ACL user (the default user off) and replicate as it. */
  acl?: ClusterCredentials;
};

/** A node as the cluster sees it: its role now, and for a replica the port of its master. */
export type ClusterNode = {
  port: number;
  id: string;
  role: "master" | "replica";
  masterPort: number | null;
};

export type TestRedisCluster = {
  /** Every node as `host:port,...`, as REDIS_CLUSTER_NODES is written. */
  seeds: string;
  /** The nodes as the cluster was formed (roles change on a failover: see topology()). */
  nodes: ClusterNode[];
  /** The ACL user every node requires, or null. */
  credentials: ClusterCredentials | null;
  /** A plain Cluster client for the test's own reads and writes. */
  client: Cluster;
  /** Another Cluster client on the seeds with the cluster's credentials, disconnected by stop(). */
  connect(options?: ClusterOptions): Cluster;
  /** The nodes as a running node sees them now. */
  topology(): Promise<ClusterNode[]>;
  slotOf(key: string): Promise<number>;
  /** The port of the master serving `key` now. */
  masterOf(key: string): Promise<number>;
  /** SIGKILL of one node; waits for its exit. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again (same port, same directory) and waits until the cluster is healthy. */
  restart(port: number): Promise<void>;
  /** Waits until a replica of the killed master `deadPort` serves its slots and the cluster is ok; its port. */
  waitForFailover(deadPort: number): Promise<number>;
  /** Moves `slot` with its keys to the master on `toPort`, while clients may keep writing. */
  reshard(slot: number, toPort: number): Promise<void>;
  /** Kills every node, closes every client, removes the directories. */
  stop(): Promise<void>;
};

type ClusterState = {
  nodes: ClusterNodeProcess[];
  credentials: ClusterCredentials | null;
  clients: Cluster[];
  /** The slots each killed master served when it was killed. */
  slotsOfKilled: Map<number, [number, number][]>;
};

/**
 * A Redis Cluster of real redis-server processes in cluster mode on loopback (own temp dirs, AOF on, no
 * RDB), formed with `redis-cli --cluster create`; resolves once every node reports cluster_state:ok, all
 * 16384 slots are served, every node agrees on who serves them and every replica's link is up.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const { masters = 3, replicasPerMaster = 1 } = options;
  const settings: ClusterNodeSettings = {
    nodeTimeoutMs: options.nodeTimeoutMs ?? 1000,
    appendfsync: options.appendfsync ?? "always",
    credentials: options.acl ?? null,
  };
  const base = tempDir("streamledger-cluster-");
  const state: ClusterState = {
    nodes: [],
    credentials: settings.credentials,
    clients: [],
    slotsOfKilled: new Map(),
  };
  const stop = async () => {
    for (const client of state.clients.splice(0)) client.disconnect();
    await Promise.all(state.nodes.map((node) => node.close()));
    base.remove();
  };
  try {
    for (let index = 0; index < masters * (1 + replicasPerMaster); index++) {
      state.nodes.push(await startNodeOnFreePort(base.path, settings, state.nodes));
    }
    await createCluster(state, replicasPerMaster);
    await untilHealthy(state.nodes, "the new cluster to be healthy");
    return await clusterHandle(state, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * One cluster for the enclosing describe block (or file): started before its first test, stopped after its
 * last (registers beforeAll and afterAll). Call the returned function from inside a test or hook.
 */
export function useRedisCluster(options?: RedisClusterOptions): () => TestRedisCluster {
  let cluster: TestRedisCluster | null = null;
  beforeAll(async () => {
    cluster = await startRedisCluster(options);
  });
  afterAll(async () => {
    await cluster?.stop();
    cluster = null;
  });
  return () => {
    if (!cluster) throw new Error("the cluster runs only between beforeAll and afterAll");
    return cluster;
  };
}

async function startNodeOnFreePort(
  baseDir: string,
  settings: ClusterNodeSettings,
  started: ClusterNodeProcess[],
): Promise<ClusterNodeProcess> {
  const taken = new Set(started.map((node) => node.port));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freeClusterPort(taken);
    const node = createClusterNode(port, join(baseDir, String(port)), settings);
    if (await node.start()) return node;
    await node.close();
    taken.add(port);
  }
  throw new Error("could not start a cluster node: every port tried was taken before redis-server bound it");
}

async function createCluster(state: ClusterState, replicasPerMaster: number): Promise<void> {
  const addresses = state.nodes.map((node) => `127.0.0.1:${node.port}`);
  const { code, stdout, stderr } = await runToExit([
    "redis-cli",
    ...redisCliAuth(state.credentials),
    "--cluster",
    "create",
    ...addresses,
    "--cluster-replicas",
    String(replicasPerMaster),
    "--cluster-yes",
  ]);
  if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}): ${stdout}${stderr}`);
}

function clusterNodes(view: ClusterNodeView[]): ClusterNode[] {
  const portOf = new Map(view.map((node) => [node.id, node.port]));
  return view
    .map(({ port, id, role, masterId }) => ({
      port,
      id,
      role,
      masterPort: masterId ? (portOf.get(masterId) ?? null) : null,
    }))
    .sort((a, b) => a.port - b.port);
}

function nodeOn(state: ClusterState, port: number): ClusterNodeProcess {
  const node = state.nodes.find((candidate) => candidate.port === port);
  if (!node) throw new Error(`no cluster node on port ${port}`);
  return node;
}

async function clusterHandle(state: ClusterState, stop: () => Promise<void>): Promise<TestRedisCluster> {
  const seedNodes = state.nodes.map((node) => ({ host: "127.0.0.1", port: node.port }));
  const connect = (options: ClusterOptions = {}) => {
    const credentials = state.credentials ?? {};
    const client = new Cluster(seedNodes, {
      ...options,
      redisOptions: { ...credentials, ...options.redisOptions },
    });
    client.on("error", () => {});
    state.clients.push(client);
    return client;
  };
  const client = connect();
  await eventually("the test's cluster client to be ready", () => client.status === "ready");
  const slotOf = async (key: string) => Number(await client.call("CLUSTER", "KEYSLOT", key));
  return {
    seeds: seedNodes.map(({ host, port }) => `${host}:${port}`).join(","),
    nodes: clusterNodes(await runningView(state.nodes)),
    credentials: state.credentials,
    client,
    connect,
    topology: async () => clusterNodes(await runningView(state.nodes)),
    slotOf,
    async masterOf(key) {
      const slot = await slotOf(key);
      const owner = ownerOfSlot(await runningView(state.nodes), slot);
      if (owner === null) throw new Error(`no master serves slot ${slot} of ${key}`);
      return owner;
    },
    kill: (port) => killNode(state, port),
    async restart(port) {
      if (!(await nodeOn(state, port).start()))
        throw new Error(`port ${port} was taken while its node was down`);
      await untilHealthy(state.nodes, `the cluster to be healthy with node ${port} back`);
    },
    waitForFailover: (deadPort) => waitForFailover(state, deadPort),
    reshard: (slot, toPort) => reshard(state, slot, toPort),
    stop,
  };
}

async function killNode(state: ClusterState, port: number): Promise<void> {
  const self = (await runningView(state.nodes)).find((seen) => seen.port === port);
  if (self?.role === "master" && self.slots.length > 0) state.slotsOfKilled.set(port, self.slots);
  await nodeOn(state, port).kill();
}

async function waitForFailover(state: ClusterState, deadPort: number): Promise<number> {
  const firstSlot = state.slotsOfKilled.get(deadPort)?.[0]?.[0];
  if (firstSlot === undefined) throw new Error(`node ${deadPort} was not a master with slots when killed`);
  if (nodeOn(state, deadPort).isRunning()) throw new Error(`node ${deadPort} is running`);
  return untilHealthy(state.nodes, `a replica of ${deadPort} to take over its slots`, (view) => {
    const owner = ownerOfSlot(view, firstSlot);
    if (owner === null || owner === deadPort)
      throw new Error(`slot ${firstSlot} is still served by ${deadPort}`);
    return owner;
  });
}

async function reshard(state: ClusterState, slot: number, toPort: number): Promise<void> {
  const view = await untilHealthy(state.nodes, `the cluster to be healthy before moving slot ${slot}`);
  const fromPort = ownerOfSlot(view, slot);
  const target = view.find((node) => node.port === toPort);
  if (target?.role !== "master") throw new Error(`node ${toPort} is not a master`);
  if (fromPort === null || fromPort === toPort) return;
  const otherMasters = view
    .filter((node) => node.role === "master" && node.slots.length > 0)
    .filter((node) => node.port !== fromPort && node.port !== toPort)
    .map((node) => nodeOn(state, node.port));
  await moveSlot({
    slot,
    source: nodeOn(state, fromPort),
    target: nodeOn(state, toPort),
    otherMasters,
    credentials: state.credentials,
  });
  await untilHealthy(state.nodes, `every node to see slot ${slot} served by ${toPort}`, (healthy) => {
    if (ownerOfSlot(healthy, slot) !== toPort) throw new Error(`slot ${slot} is not yet served by ${toPort}`);
    return true;
  });
}

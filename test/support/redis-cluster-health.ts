import type { ClusterNodeProcess } from "./redis-cluster-node";
import {
  type ClusterNodeView,
  infoField,
  parseClusterNodes,
  SLOT_COUNT,
  slotMapSignature,
} from "./redis-cluster-topology";
import { eventually } from "./resources";

const HEALTHY_WITHIN_MS = 30_000;

async function viewOf(node: ClusterNodeProcess): Promise<ClusterNodeView[]> {
  return parseClusterNodes(String(await node.admin.call("CLUSTER", "NODES")));
}

/** The cluster as the first running node sees it now, healthy or not. */
export async function runningView(nodes: ClusterNodeProcess[]): Promise<ClusterNodeView[]> {
  const node = nodes.find((candidate) => candidate.isRunning());
  if (!node) throw new Error("no cluster node is running");
  return viewOf(node);
}

/** Throws why one running node does not see a healthy cluster, else returns its view. */
async function healthyFrom(
  node: ClusterNodeProcess,
  knownNodes: number,
  runningPorts: ReadonlySet<number>,
): Promise<ClusterNodeView[]> {
  const where = `node ${node.port}`;
  const info = String(await node.admin.call("CLUSTER", "INFO"));
  if (infoField(info, "cluster_state") !== "ok") throw new Error(`${where}: cluster_state is not ok`);
  if (infoField(info, "cluster_slots_ok") !== String(SLOT_COUNT)) throw new Error(`${where}: slots not ok`);
  if (infoField(info, "cluster_known_nodes") !== String(knownNodes)) {
    throw new Error(`${where}: does not know every node yet`);
  }
  const replication = await node.admin.info("replication");
  const replica = infoField(replication, "role") === "slave";
  if (replica && infoField(replication, "master_link_status") !== "up") {
    throw new Error(`${where}: a replica whose link to its master is not up`);
  }
  const view = await viewOf(node);
  const failing = view.find((seen) => seen.failing && runningPorts.has(seen.port));
  if (failing) throw new Error(`${where}: still flags running node ${failing.port} as failing`);
  return view;
}

/**
 * Throws the first reason the cluster is not healthy, else returns a running node's view. Healthy: every
 * running node says cluster_state:ok with all slots ok and knows every node, flags no running node as
 * failing, and agrees with the others on who serves which slots; every running replica's link is up.
 */
export async function healthyView(nodes: ClusterNodeProcess[]): Promise<ClusterNodeView[]> {
  const running = nodes.filter((node) => node.isRunning());
  const runningPorts = new Set(running.map((node) => node.port));
  const views = await Promise.all(running.map((node) => healthyFrom(node, nodes.length, runningPorts)));
  const signatures = new Set(views.map(slotMapSignature));
  if (signatures.size > 1)
    throw new Error(`the nodes disagree on who serves which slots: ${[...signatures]}`);
  const [view] = views;
  if (!view) throw new Error("no cluster node is running");
  return view;
}

/**
 * Waits until the cluster is healthy and `accept` takes its view: returns a value other than undefined
 * rather than throwing why not. Resolves with that value.
 */
export function untilHealthy<T = ClusterNodeView[]>(
  nodes: ClusterNodeProcess[],
  what: string,
  accept: (view: ClusterNodeView[]) => T = (view) => view as T,
): Promise<T> {
  return eventually(what, async () => accept(await healthyView(nodes)), HEALTHY_WITHIN_MS, 100);
}

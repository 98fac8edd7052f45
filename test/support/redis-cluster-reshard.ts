import type { ClusterCredentials, ClusterNodeProcess } from "./redis-cluster-node";

export type SlotMove = {
  slot: number;
  source: ClusterNodeProcess;
  target: ClusterNodeProcess;
  /** The masters other than source and target, told the new owner too (as redis-cli does). */
  otherMasters: ClusterNodeProcess[];
  credentials: ClusterCredentials | null;
};

const KEYS_PER_MIGRATE = 100;
const MIGRATE_TIMEOUT_MS = 10_000;

async function nodeId(node: ClusterNodeProcess): Promise<string> {
  return String(await node.admin.call("CLUSTER", "MYID"));
}

/**
 * Moves one slot with its keys from `source` to `target`, the way `redis-cli --cluster reshard` does it
 * for each slot (which cannot be told which slot to move): IMPORTING on the target, MIGRATING on the
 * source, MIGRATE the keys in batches, then the new owner on target, source and the other masters.
 * Clients writing meanwhile are redirected with ASK and MOVED.
 */
export async function moveSlot(move: SlotMove): Promise<void> {
  const { slot, source, target } = move;
  const [sourceId, targetId] = await Promise.all([nodeId(source), nodeId(target)]);
  await target.admin.call("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
  await source.admin.call("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
  const auth = move.credentials ? ["AUTH2", move.credentials.username, move.credentials.password] : [];
  let keys = await keysInSlot(source, slot);
  while (keys.length > 0) {
    // No REPLACE: a key on both sides would mean a write went astray, and the move must fail loudly.
    await source.admin.call(
      "MIGRATE",
      "127.0.0.1",
      target.port,
      "",
      0,
      MIGRATE_TIMEOUT_MS,
      ...auth,
      "KEYS",
      ...keys,
    );
    keys = await keysInSlot(source, slot);
  }
  // The target first: from then on an ASK-redirected write lands on the slot's owner.
  await target.admin.call("CLUSTER", "SETSLOT", slot, "NODE", targetId);
  await source.admin.call("CLUSTER", "SETSLOT", slot, "NODE", targetId);
  for (const master of move.otherMasters)
    await master.admin.call("CLUSTER", "SETSLOT", slot, "NODE", targetId);
}

async function keysInSlot(node: ClusterNodeProcess, slot: number): Promise<string[]> {
  return (await node.admin.call("CLUSTER", "GETKEYSINSLOT", slot, KEYS_PER_MIGRATE)) as string[];
}

/** One line of `CLUSTER NODES`, as the node that answered sees that node. */
export type ClusterNodeView = {
  id: string;
  port: number;
  role: "master" | "replica";
  /** The id of the master a replica follows; null for a master. */
  masterId: string | null;
  /** Flagged `fail` or `fail?` (suspected) by the answering node. */
  failing: boolean;
  /** Inclusive slot ranges a master serves; importing/migrating markers are left out. */
  slots: [number, number][];
};

export const SLOT_COUNT = 16384;

/** Parses the text `CLUSTER NODES` answers (one node per line). */
export function parseClusterNodes(text: string): ClusterNodeView[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map(parseNodeLine);
}

function parseNodeLine(line: string): ClusterNodeView {
  const [id, address, flagList, master, , , , , ...slotFields] = line.split(" ");
  const port = Number(address?.match(/:(\d+)@/)?.[1]);
  if (!id || !flagList || !master || !Number.isInteger(port)) {
    throw new Error(`unexpected CLUSTER NODES line: ${line}`);
  }
  const flags = flagList.split(",");
  const replica = flags.includes("slave");
  return {
    id,
    port,
    role: replica ? "replica" : "master",
    masterId: replica && master !== "-" ? master : null,
    failing: flags.includes("fail") || flags.includes("fail?"),
    slots: slotFields.filter((field) => !field.startsWith("[")).map(parseSlotRange),
  };
}

function parseSlotRange(field: string): [number, number] {
  const [first, last = first] = field.split("-").map(Number);
  if (first === undefined || last === undefined) throw new Error(`unexpected slot field: ${field}`);
  return [first, last];
}

/** The port of the master serving `slot` in a view, or null when no node claims it. */
export function ownerOfSlot(view: ClusterNodeView[], slot: number): number | null {
  const owner = view.find(
    (node) => node.role === "master" && node.slots.some(([first, last]) => slot >= first && slot <= last),
  );
  return owner?.port ?? null;
}

/**
 * Which master serves which slots, as one comparable string: two nodes agree on the cluster's shape when
 * their signatures are equal.
 */
export function slotMapSignature(view: ClusterNodeView[]): string {
  return view
    .filter((node) => node.role === "master" && node.slots.length > 0)
    .map((node) => `${node.port}:${node.slots.map(([first, last]) => `${first}-${last}`).join(",")}`)
    .sort()
    .join(" ");
}

/** Reads one `field:value` line of an INFO or CLUSTER INFO answer. */
export function infoField(info: string, field: string): string | undefined {
  const prefix = `${field}:`;
  return info
    .split(/\r?\n/)
    .find((line) => line.startsWith(prefix))
    ?.slice(prefix.length);
}

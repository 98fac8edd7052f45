import type { AccountView, ChangeEvent, SnapshotEvent } from "../accounts/schemas";
import { describeChange, plural } from "./format";
import type { SseMessage } from "./sse";

// What a message of GET /accounts/events changes on the dashboard (pure, so tested without a browser).

/** The accounts the dashboard shows, by id, as the live event stream last described them. */
export type Accounts = Map<number, AccountView>;

/** The accounts after a message, the ids it changed, and its lines for the live events feed. */
export type Applied = { accounts: Accounts; changed: Set<number>; lines: string[] };

/** Applies a snapshot or a change; null for a message that says nothing about accounts. */
export function applyMessage(accounts: Accounts, message: SseMessage): Applied | null {
  if (message.event === "snapshot") return applySnapshot(accounts, JSON.parse(message.data) as SnapshotEvent);
  if (message.event === "change") return applyChange(accounts, JSON.parse(message.data) as ChangeEvent);
  return null;
}

function applySnapshot(accounts: Accounts, snapshot: SnapshotEvent): Applied {
  const first = accounts.size === 0;
  const changed = new Set<number>();
  const lines: string[] = [];
  for (const view of snapshot.accounts) {
    const described = first ? [] : describeChange(accounts.get(view.account.id), view);
    if (described.length === 0) continue;
    changed.add(view.account.id);
    lines.push(described.join(" "));
  }
  if (first) {
    lines.push(
      `Connected: ${plural(snapshot.accounts.length, "account")}, as of stream entry ${snapshot.position}.`,
    );
  }
  return { accounts: new Map(snapshot.accounts.map((view) => [view.account.id, view])), changed, lines };
}

function applyChange(accounts: Accounts, change: ChangeEvent): Applied {
  const next = new Map(accounts);
  const changed = new Set<number>();
  const lines: string[] = [];
  for (const view of change.accounts) {
    const described = describeChange(next.get(view.account.id), view);
    if (described.length > 0) lines.push(described.join(" "));
    next.set(view.account.id, view);
    changed.add(view.account.id);
  }
  for (const id of change.removed) {
    const gone = next.get(id);
    next.delete(id);
    if (gone) lines.push(`Account ${gone.account.name} deleted.`);
  }
  return { accounts: next, changed, lines };
}

import { Elysia } from "elysia";
import { isStreamId } from "../shared/events/stream-contract";
import type { Authenticate } from "../shared/http/auth";
import { TooManyRequestsError } from "../shared/http/errors";
import { accountView } from "./domain";
import type { AccountView, ChangeEvent, SnapshotEvent } from "./schemas";
import type { AccountsStore } from "./store";

type Subscriber = { changed(): void; closed(): void };

/** Tells the open event streams that the read model changed; `notify` only after the change is committed. */
export type ChangeHub = {
  notify(): void;
  subscribe(subscriber: Subscriber): () => void;
  /** Ends every open stream (at shutdown, so the server's drain does not wait on them). */
  close(): void;
};

export function createChangeHub(): ChangeHub {
  const subscribers = new Set<Subscriber>();
  return {
    notify() {
      // Called from the consumer after a commit: one broken stream must not fail the others or the loop.
      for (const subscriber of subscribers) {
        try {
          subscriber.changed();
        } catch {
          subscribers.delete(subscriber);
          subscriber.closed();
        }
      }
    },
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    close() {
      for (const subscriber of [...subscribers]) subscriber.closed();
      subscribers.clear();
    },
  };
}

export type LiveRoutesDeps = {
  store: AccountsStore;
  authenticate: Authenticate;
  hub: ChangeHub;
  /** The consumer's committed stream position: what the read model reflects. */
  position: () => string;
  heartbeatMs?: number;
  /** Open streams one user may hold at once (tabs, devices); one more is a 429. */
  maxStreamsPerUser?: number;
};

/**
 * GET /accounts/events: Server-Sent Events of the caller's accounts. Messages carry state, not deltas:
 * each connection first gets a `snapshot` (every account of the caller), then a `change` with the
 * accounts that differ after each committed batch (and `removed` ids). Every message's id is the stream
 * position it reflects, so a reconnect (with Last-Event-ID) starts from a snapshot as of now and misses
 * nothing, however long it was away or whatever the server did meanwhile. When the token expires the
 * stream sends `expired` and ends.
 */
export function liveRoutes({ maxStreamsPerUser = 20, ...deps }: LiveRoutesDeps) {
  const streams = streamsPerUser(maxStreamsPerUser);
  return new Elysia().get("/accounts/events", async ({ headers, request }) => {
    const caller = await deps.authenticate(headers.authorization);
    const lastEventId = headers["last-event-id"];
    const body = accountEvents(deps, {
      username: caller.username,
      resumedFrom: lastEventId !== undefined && isStreamId(lastEventId) ? lastEventId : null,
      expiresAt: expiryOf(headers.authorization),
      aborted: request.signal,
      release: streams.open(caller.username),
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  });
}

/** Counts each user's open streams: `open` refuses one beyond `max` (429) and returns its release. */
function streamsPerUser(max: number) {
  const open = new Map<string, number>();
  return {
    open(username: string): () => void {
      const streams = open.get(username) ?? 0;
      if (streams >= max) {
        throw new TooManyRequestsError(`at most ${max} event streams may be open per user`, 5);
      }
      open.set(username, streams + 1);
      return () => {
        const left = (open.get(username) ?? 1) - 1;
        if (left > 0) open.set(username, left);
        else open.delete(username);
      };
    },
  };
}

type StreamOptions = {
  username: string;
  resumedFrom: string | null;
  /** When the token ends, in ms since the epoch; undefined when it has no expiry. */
  expiresAt: number | undefined;
  aborted: AbortSignal;
  /** Called once when the stream ends, however it ends. */
  release: () => void;
};

/** One caller's event stream: the snapshot, then a change after each commit, until it ends. */
function accountEvents(
  { store, hub, position, heartbeatMs = 15_000 }: Omit<LiveRoutesDeps, "authenticate" | "maxStreamsPerUser">,
  { username, resumedFrom, expiresAt, aborted, release }: StreamOptions,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  // Reads are synchronous and a batch commits synchronously, so a position and the views read in the
  // same tick belong together.
  const viewsNow = (): { at: string; views: AccountView[] } => {
    const owned = store.accountsOwnedBy(username);
    const customers = store.customersOf(owned.map((account) => account.id));
    return { at: position(), views: owned.map((account) => accountView(account, customers)) };
  };
  let finish = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // A client gone between two writes (before its abort arrives) ends the stream, nothing else.
      const write = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          finish();
        }
      };
      const send = (event: string, id: string, data: unknown) =>
        write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const first = viewsNow();
      const sent = new Map(first.views.map((view) => [view.account.id, JSON.stringify(view)]));
      const snapshot: SnapshotEvent = {
        position: first.at,
        resumed_from: resumedFrom,
        accounts: first.views,
      };
      send("snapshot", first.at, snapshot);

      const changed = () => {
        // A user removed while connected sees nothing more.
        if (store.findUser(username) === undefined) return finish();
        const { at, views } = viewsNow();
        const change = changeSince(sent, views, at);
        if (change) send("change", at, change);
      };
      const unsubscribe = hub.subscribe({ changed, closed: () => finish() });
      // A comment now and then keeps proxies from closing an idle stream.
      const heartbeat = setInterval(() => write(": keep-alive\n\n"), heartbeatMs);
      // The stream ends when the token does, saying so, so the client renews it before reconnecting (a
      // token just past its expiry is still accepted within the verifier's clock tolerance).
      const expire = () => {
        write("event: expired\ndata: {}\n\n");
        finish();
      };
      const expiry =
        expiresAt === undefined ? undefined : setTimeout(expire, Math.max(0, expiresAt - Date.now()));
      let finished = false;
      finish = () => {
        if (finished) return;
        finished = true;
        release();
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unsubscribe();
        try {
          controller.close();
        } catch {}
      };
      aborted.addEventListener("abort", () => finish());
    },
    cancel() {
      finish();
    },
  });
}

/**
 * The `change` message from the views last sent (`sent`: account id → its view as JSON) to `views`, or
 * undefined when nothing differs; `sent` is brought up to date.
 */
function changeSince(sent: Map<number, string>, views: AccountView[], at: string): ChangeEvent | undefined {
  const updated = views.filter((view) => sent.get(view.account.id) !== JSON.stringify(view));
  const live = new Set(views.map((view) => view.account.id));
  const removed = [...sent.keys()].filter((id) => !live.has(id));
  if (updated.length === 0 && removed.length === 0) return undefined;
  for (const view of updated) sent.set(view.account.id, JSON.stringify(view));
  for (const id of removed) sent.delete(id);
  return { position: at, accounts: updated, removed };
}

/** The `exp` of a bearer token already verified, in ms; undefined if it has none. */
function expiryOf(authorization: string | undefined): number | undefined {
  const payload = authorization?.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

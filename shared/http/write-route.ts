import type { z } from "zod";
import type { DomainEvent } from "../events/schemas";
import { type EventEnvelope, envelopeOf } from "../events/wire";
import type { Authenticate, Caller } from "./auth";
import {
  type CommittedReply,
  type IdempotencyKey,
  idempotencyKeyOf,
  replyResponse,
  type StoredReply,
} from "./idempotency";
import { parseJsonBody } from "./parse";

/**
 * A service's commit: runs `write` and records its reply under `key` in one transaction, or, for a key
 * seen before, answers the recorded reply and runs nothing. Asynchronous whatever the store does:
 * customers' group commit waits for its batch's fsync, and a database server would wait for its answer.
 */
export type Commit = (
  key: IdempotencyKey | null,
  at: Date,
  write: () => StoredReply,
) => Promise<CommittedReply>;

/** The parts of an HTTP request a write reads; the routes file takes them out of its framework's context. */
export type WriteRequest = { headers: Record<string, string | undefined>; body?: unknown };

/** What a service gives every one of its write routes. */
export type WriteRouteDeps = {
  authenticate: Authenticate;
  /** The service's commit, and its outbox append (which runs in the transaction commit holds open). */
  store: { commit: Commit; appendEvent(envelope: EventEnvelope): void };
  /** Told after each commit (a replay included): the outbox relay, and whatever shows changes live. */
  notify: () => void;
  now: () => Date;
  newEventId: () => string;
};

/** What a write knows besides its input: who asks, the time it happens at, and how it records its event. */
export type WriteContext = {
  caller: Caller;
  at: Date;
  /** Puts the write's event in the outbox, in the write's transaction, with a new EventId and `at`. */
  append(event: DomainEvent): void;
};

/**
 * What a write route reads from its request: its input, or a throw (415, 400 or 422 for a bad body, 404
 * for a path naming nothing).
 */
export type ReadInput<Incoming extends WriteRequest, Input> = (request: Incoming) => Input;

/** One write route, given the input it read: how its idempotency key is scoped, and the write. */
export type WriteRoute<Input> = {
  /**
   * The route string and the request value an Idempotency-Key is bound to. Stored keys replay only while
   * both are computed exactly as when they were stored.
   */
  idempotency(input: Input): { route: string; request: unknown };
  /** Inside the transaction: the checks, the change and its event; the reply to record and send. */
  write(input: Input, context: WriteContext): StoredReply;
};

/**
 * The one path every write takes: authenticate, read the input, scope the Idempotency-Key, commit the
 * write with its idempotency record, notify, reply (the status and body recorded, `Idempotent-Replayed`
 * on a replay, no body with a 204). A throw at any step ends the request before the steps after it.
 */
export function writeRoutes(deps: WriteRouteDeps) {
  const { store, newEventId } = deps;
  return <Incoming extends WriteRequest, Input>(read: ReadInput<Incoming, Input>, route: WriteRoute<Input>) =>
    async (request: Incoming): Promise<Response> => {
      const caller = await deps.authenticate(request.headers.authorization);
      const input = read(request);
      const scope = route.idempotency(input);
      const key = idempotencyKeyOf(
        request.headers["idempotency-key"],
        caller.username,
        scope.route,
        scope.request,
      );
      const at = deps.now();
      const append = (event: DomainEvent) => store.appendEvent(envelopeOf(event, newEventId(), at));
      const reply = await store.commit(key, at, () => route.write(input, { caller, at, append }));
      deps.notify();
      return replyResponse(reply);
    };
}

/** `read` for a route whose input is its JSON body, validated by `schema`. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return (request: WriteRequest): z.infer<S> =>
    parseJsonBody(schema, request.body, request.headers["content-type"]);
}

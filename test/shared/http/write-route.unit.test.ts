import { describe, expect, test } from "bun:test";
import type { DomainEvent } from "../../../shared/events/schemas";
import { type EventEnvelope, envelopeOf } from "../../../shared/events/wire";
import { AuthError, NotFoundError } from "../../../shared/http/errors";
import type { IdempotencyKey, StoredReply } from "../../../shared/http/idempotency";
import { type Commit, type WriteRequest, writeRoutes } from "../../../shared/http/write-route";

const AT = new Date("2026-11-24T10:00:00.000Z");
const event: DomainEvent = {
  type: "CustomerDeleted",
  payload: { id: "3", account_id: "1", deleted_date: AT.toISOString() },
};

/** A write path whose every step writes to `steps`, with a commit that replays the keys in `replayed`. */
function fakeService(replayed: Record<string, StoredReply> = {}) {
  const steps: string[] = [];
  const appended: EventEnvelope[] = [];
  const keys: (IdempotencyKey | null)[] = [];
  const commit: Commit = async (key, at, write) => {
    steps.push(`commit at ${at.toISOString()}`);
    keys.push(key);
    const prior = key ? replayed[key.key] : undefined;
    return prior ? { ...prior, replayed: true } : { ...write(), replayed: false };
  };
  const writeRoute = writeRoutes({
    authenticate: async (authorization) => {
      steps.push("authenticate");
      if (authorization !== "Bearer ok") throw new AuthError(401, "no");
      return { username: "user1" };
    },
    store: {
      commit,
      appendEvent: (envelope) => {
        steps.push("append");
        appended.push(envelope);
      },
    },
    notify: () => steps.push("notify"),
    now: () => AT,
    newEventId: () => "event-1",
  });
  return { steps, appended, keys, writeRoute };
}

const request = (headers: Record<string, string> = {}): WriteRequest & { id: string } => ({
  headers: { authorization: "Bearer ok", ...headers },
  id: "3",
});

describe("a write route", () => {
  test("authenticates, reads, commits the write with its event, notifies, then replies", async () => {
    const { steps, appended, writeRoute } = fakeService();
    const handle = writeRoute(
      (request: WriteRequest & { id: string }) => {
        steps.push("read");
        return request.id;
      },
      {
        idempotency: (id) => ({ route: `DELETE /things/${id}`, request: {} }),
        write: (id, { caller, at, append }) => {
          steps.push(`write ${id} for ${caller.username}`);
          append(event);
          return { status: 200, body: { id, at: at.toISOString() } };
        },
      },
    );

    const response = await handle(request());

    expect(steps).toEqual([
      "authenticate",
      "read",
      `commit at ${AT.toISOString()}`,
      "write 3 for user1",
      "append",
      "notify",
    ]);
    expect(appended).toEqual([envelopeOf(event, "event-1", AT)]);
    expect(response.status).toBe(200);
    expect(response.headers.get("idempotent-replayed")).toBeNull();
    expect(await response.json()).toEqual({ id: "3", at: AT.toISOString() });
  });

  test("binds the Idempotency-Key to the caller, the route string and the request it names", async () => {
    const { keys, writeRoute } = fakeService();
    const handle = writeRoute((request: WriteRequest & { id: string }) => request.id, {
      idempotency: (id) => ({ route: `DELETE /things/${id}`, request: { id } }),
      write: () => ({ status: 204, body: null }),
    });

    await handle(request({ "idempotency-key": "k-1" }));
    await handle(request());

    expect(keys).toEqual([
      { username: "user1", key: "k-1", route: "DELETE /things/3", requestHash: expect.any(String) },
      null,
    ]);
  });

  test("when the key was seen before: the stored reply, marked replayed, and the relay still told", async () => {
    const { steps, writeRoute } = fakeService({ "k-1": { status: 201, body: { first: true } } });
    const handle = writeRoute((request: WriteRequest & { id: string }) => request.id, {
      idempotency: () => ({ route: "POST /things", request: {} }),
      write: () => {
        throw new Error("a replay must not write");
      },
    });

    const response = await handle(request({ "idempotency-key": "k-1" }));

    expect(response.status).toBe(201);
    expect(response.headers.get("idempotent-replayed")).toBe("true");
    expect(await response.json()).toEqual({ first: true });
    expect(steps.at(-1)).toBe("notify");
  });

  test("when the reply is a 204: no body, whatever was stored with it", async () => {
    const { writeRoute } = fakeService();
    const handle = writeRoute((request: WriteRequest & { id: string }) => request.id, {
      idempotency: () => ({ route: "DELETE /things/3", request: {} }),
      write: () => ({ status: 204, body: { id: "3" } }),
    });

    const response = await handle(request());

    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
  });

  test.each<[string, Record<string, string>, typeof AuthError | typeof NotFoundError, string[]]>([
    ["the caller is not authenticated", { authorization: "Bearer bad" }, AuthError, ["authenticate"]],
    ["the input cannot be read", { "x-unreadable": "yes" }, NotFoundError, ["authenticate"]],
    [
      "the write refuses",
      { "x-refuse": "yes" },
      NotFoundError,
      ["authenticate", `commit at ${AT.toISOString()}`],
    ],
  ])("when %s: the error, and nothing notified", async (_situation, headers, type, expected) => {
    const { steps, writeRoute } = fakeService();
    const handle = writeRoute(
      (request: WriteRequest) => {
        if (request.headers["x-unreadable"]) throw new NotFoundError("no such thing");
        return request.headers["x-refuse"] !== undefined;
      },
      {
        idempotency: () => ({ route: "POST /things", request: {} }),
        write: (refuse) => {
          if (refuse) throw new NotFoundError("no such thing");
          return { status: 201, body: {} };
        },
      },
    );

    const error = await handle({ headers: { authorization: "Bearer ok", ...headers } }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(type);
    expect(steps).toEqual(expected);
  });
});

import { expect } from "bun:test";
import type { Reply } from "./api";

/**
 * Asserts an RFC 9457 problem response with `status` whose `errors` names each of `fields`; a 401 about a
 * bearer token must also carry a WWW-Authenticate challenge, a failed login or refresh (/auth/...) must not.
 */
export function expectProblem(reply: Reply, status: number, fields: string[] = [], path = ""): void {
  const { type, title, detail, errors } = reply.body;
  // Plain values only: Bun 1.4.4's toMatchObject writes asymmetric matchers into the received object.
  expect({ status: reply.status, bodyStatus: reply.body.status, type }).toEqual({
    status,
    bodyStatus: status,
    type: "about:blank",
  });
  expect(reply.headers.get("content-type")).toStartWith("application/problem+json");
  expect([typeof title, typeof detail, String(detail).length > 0]).toEqual(["string", "string", true]);
  for (const field of fields) {
    expect(errors ?? {}).toHaveProperty([field]);
    const messages = (errors as Record<string, unknown>)[field];
    expect(
      Array.isArray(messages) && messages.length > 0 && messages.every((m) => typeof m === "string"),
    ).toBe(true);
  }
  if (status === 401 && path.startsWith("/auth/")) expect(reply.headers.get("www-authenticate")).toBeNull();
  else if (status === 401) expect(reply.headers.get("www-authenticate")).toStartWith("Bearer");
}

import { expect } from "bun:test";
import type { Reply } from "./api";

/**
 * What the libraries under the services say when they refuse something (zod, jose, Elysia, the JSON
 * parsers, SQLite, ioredis, the runtimes' errors): none of it may reach a client.
 */
export const LIBRARY_PHRASES: RegExp[] = [
  /Invalid (input|option|string|union|element|key|literal|enum value|type|date)/i,
  /expected \w+, received/i,
  /Too (small|big)/,
  /Unrecognized key/i,
  /must match pattern/i,
  /to have [<>]=?\d/,
  /\bERR_[A-Z_]+/,
  /\b(JOSE|JWS|JWT|JWK|JWKS|JWE)[A-Z][A-Za-z]+/,
  /claim timestamp check failed|unexpected "\w+" claim value|missing required "\w+" claim/,
  /signature verification failed|no applicable key found|Header Parameter/i,
  /Compact JWS|Protected Header/i,
  /\b(Syntax|Type|Range|Reference|Zod|Parse|Validation|Reply|Abort)Error\b/,
  /Unexpected (token|end|identifier|character|non-whitespace)/i,
  /JSON Parse error|JSON\.parse|in JSON at position/i,
  /\b(NOT_FOUND|VALIDATION|PARSE|INTERNAL_SERVER_ERROR|UNKNOWN)\b/,
  /SQLITE_|database is locked|no such table/i,
  /ECONNREFUSED|ETIMEDOUT|ECONNRESET|Connection is closed|Command timed out/i,
  /\[object \w+\]/,
  /\bat .+:\d+:\d+\)?$/m,
];

/**
 * Asserts that a problem body's title, detail and messages (or an answer's text) say nothing in a
 * library's words. What a message quotes ("...") is the client's own input, and is not looked at.
 */
export function expectOwnWords(body: unknown, what = ""): void {
  const problem = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const texts =
    typeof body === "string"
      ? [body]
      : [problem.title, problem.detail, ...Object.values(problem.errors ?? {}).flat()].map(String);
  const ours = texts.map((text) => text.replace(/"[^"]*"/g, '""')).join("\n");
  const found = LIBRARY_PHRASES.filter((phrase) => phrase.test(ours)).map(String);
  expect({ what, ours, found }).toEqual({ what, ours, found: [] });
}

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
  expectOwnWords(reply.body, `${status} ${path}`);
  if (status === 401 && path.startsWith("/auth/")) expect(reply.headers.get("www-authenticate")).toBeNull();
  else if (status === 401) expect(reply.headers.get("www-authenticate")).toStartWith("Bearer");
}

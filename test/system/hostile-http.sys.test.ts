import { beforeAll, describe, expect, test } from "bun:test";
import { openRawConnection } from "../support/raw-http";
import { readServiceDb } from "../support/sqlite";
import { useSystem } from "../support/system";

const system = useSystem();
let token: string;

beforeAll(async () => {
  token = await system.login();
});

/**
 * Writes `bytes` to the service's socket as they are, ends what the client sends, and reads until the
 * server closes the connection (a server that held it open would fail the test by its timeout).
 */
async function exchange(url: string, bytes: Uint8Array | string): Promise<string> {
  const connection = await openRawConnection(url);
  connection.end(bytes);
  return connection.closed();
}

const json = (body: string, extra = "") =>
  `POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer TOKEN\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Requests a browser or fetch would never send; `TOKEN` is replaced by a valid access token. */
const corpus: [string, (token: string) => Uint8Array | string][] = [
  [
    "invalid UTF-8 in the body",
    () => Buffer.concat([Buffer.from(json("{}").slice(0, -2)), Buffer.from([0xff, 0xfe])]),
  ],
  [
    "a Content-Length longer than the body",
    (t) =>
      json('{"name":"a","account_id":"1"}')
        .replace(/Content-Length: \d+/, "Content-Length: 999")
        .replace("TOKEN", t),
  ],
  [
    "a Content-Length shorter than the body (smuggling a second request)",
    (t) =>
      json('{"name":"a","account_id":"1"}GET /customers/1 HTTP/1.1\r\nHost: x\r\n\r\n')
        .replace(/Content-Length: \d+/, "Content-Length: 2")
        .replace("TOKEN", t),
  ],
  [
    "both Transfer-Encoding and Content-Length",
    (t) =>
      `POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n1e\r\n{"name":"a","account_id":"1"}\r\n0\r\n\r\n`,
  ],
  [
    "a chunk size that is not hex",
    (t) =>
      `POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
  ],
  [
    "a chunked body larger than MAX_BODY_BYTES",
    (t) =>
      `POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${`ffff\r\n${"x".repeat(0xffff)}\r\n`}${`ffff\r\n${"x".repeat(0xffff)}\r\n`}0\r\n\r\n`,
  ],
  ["a 100 kB header", (t) => json("{}", `X-Big: ${"a".repeat(100_000)}\r\n`).replace("TOKEN", t)],
  [
    "bytes above 0x7f in headers",
    (t) => Buffer.from(json("{}", "Idempotency-Key: \xff\xfe\r\n").replace("TOKEN", t), "latin1"),
  ],
  [
    "two Authorization headers",
    (t) => json('{"name":"a","account_id":"1"}', `Authorization: Bearer ${t}x\r\n`).replace("TOKEN", t),
  ],
  [
    "two Content-Type headers",
    (t) => json('{"name":"a","account_id":"1"}', "Content-Type: text/plain\r\n").replace("TOKEN", t),
  ],
  ["a duplicate JSON key", (t) => json('{"name":"a","account_id":"1","account_id":"2"}').replace("TOKEN", t)],
  ["a NUL in the path", () => "GET /customers/%00 HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["a path climbing out", () => "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["an absolute URI in the request line", () => "GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["HTTP/1.0 without a Host", () => "GET /health HTTP/1.0\r\n\r\n"],
  ["an unknown method", () => "BREW /customers HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["a garbage request line", () => "\x00\x01\x02 / HTTP/9.9\r\n\r\n"],
  ["a header without a colon", () => "GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"],
];

describe("malformed HTTP on the wire, against the services as processes", () => {
  test.each(corpus)("%s: no 5xx answer, and the service still serves", async (_, build) => {
    for (const service of [system.customers, system.accounts]) {
      const reply = await exchange(service.url, build(token));
      const statuses = [...reply.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((match) => Number(match[1]));
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    }
  });

  test("after the whole corpus nothing was stored or published", async () => {
    await system.settled();
    const entries = await system.redis.client.xrange(system.streamKey, "-", "+");
    expect(entries.map(([, fields]) => fields[fields.indexOf("EventTypeName") + 1])).toEqual([
      "AccountCreated",
      "AccountCreated",
    ]);
    const count = (table: string) =>
      readServiceDb<{ n: number }>(system.dataDir, "customers", `SELECT count(*) AS n FROM ${table}`)[0]?.n;
    expect({ customers: count("customers"), invoices: count("invoices"), outbox: count("outbox") }).toEqual({
      customers: 0,
      invoices: 0,
      outbox: 0,
    });
  });
});

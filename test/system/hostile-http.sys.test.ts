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

/** Routes of each service to aim at: a write with a body it would accept, and a read answering 200. */
type Target = { token: string; write: string; body: string; read: string };

const targets = () => ({
  customers: {
    token,
    write: "/customers",
    body: '{"name":"a","account_id":"1"}',
    read: "/customers?account_id=1",
  },
  accounts: { token, write: "/accounts", body: '{"name":"a"}', read: "/accounts/1" },
});

const post = ({ write, token }: Target, body: string, extra = "") =>
  `POST ${write} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/**
 * Requests a browser or fetch would never send, each with `Host: x`. `routed`: the request is whole enough
 * that the service must answer it from the route it names (on every runtime), not with "no route".
 */
const corpus: [string, { routed: boolean; build: (target: Target) => Uint8Array | string }][] = [
  [
    "invalid UTF-8 in the body",
    {
      routed: true,
      build: (t) => Buffer.concat([Buffer.from(post(t, "{}").slice(0, -2)), Buffer.from([0xff, 0xfe])]),
    },
  ],
  [
    "a Content-Length longer than the body",
    { routed: false, build: (t) => post(t, t.body).replace(/Content-Length: \d+/, "Content-Length: 999") },
  ],
  [
    "a Content-Length shorter than the body (smuggling a second request)",
    {
      routed: true,
      build: (t) =>
        post(t, `${t.body}GET ${t.read} HTTP/1.1\r\nHost: x\r\n\r\n`).replace(
          /Content-Length: \d+/,
          "Content-Length: 2",
        ),
    },
  ],
  [
    "both Transfer-Encoding and Content-Length",
    {
      routed: false,
      build: (t) =>
        `POST ${t.write} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${t.body.length.toString(16)}\r\n${t.body}\r\n0\r\n\r\n`,
    },
  ],
  [
    "a chunk size that is not hex",
    {
      routed: false,
      build: (t) =>
        `POST ${t.write} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    },
  ],
  [
    "a chunked body larger than MAX_BODY_BYTES",
    {
      routed: false,
      build: (t) =>
        `POST ${t.write} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${`ffff\r\n${"x".repeat(0xffff)}\r\n`}${`ffff\r\n${"x".repeat(0xffff)}\r\n`}0\r\n\r\n`,
    },
  ],
  ["a 100 kB header", { routed: false, build: (t) => post(t, "{}", `X-Big: ${"a".repeat(100_000)}\r\n`) }],
  [
    "bytes above 0x7f in headers",
    { routed: false, build: (t) => Buffer.from(post(t, "{}", "Idempotency-Key: \xff\xfe\r\n"), "latin1") },
  ],
  [
    "two Authorization headers",
    { routed: true, build: (t) => post(t, t.body, `Authorization: Bearer ${t.token}x\r\n`) },
  ],
  [
    "two Content-Type headers",
    { routed: true, build: (t) => post(t, t.body, "Content-Type: text/plain\r\n") },
  ],
  ["a duplicate JSON key", { routed: true, build: (t) => post(t, `${t.body.slice(0, -1)},"name":"b"}`) }],
  ["a NUL in the path", { routed: true, build: (t) => `GET ${t.write}/%00 HTTP/1.1\r\nHost: x\r\n\r\n` }],
  [
    "a path climbing out",
    { routed: false, build: () => "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n" },
  ],
  [
    "an absolute URI in the request line",
    { routed: true, build: () => "GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n" },
  ],
  ["HTTP/1.0 without a Host", { routed: true, build: () => "GET /health HTTP/1.0\r\n\r\n" }],
  ["an unknown method", { routed: false, build: (t) => `BREW ${t.write} HTTP/1.1\r\nHost: x\r\n\r\n` }],
  ["a garbage request line", { routed: false, build: () => "\x00\x01\x02 / HTTP/9.9\r\n\r\n" }],
  [
    "a header without a colon",
    { routed: false, build: () => "GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n" },
  ],
];

const statusesOf = (reply: string) =>
  [...reply.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((match) => Number(match[1]));

describe("malformed HTTP on the wire, against the services as processes", () => {
  test.each(corpus)("%s: no 5xx answer, and the service still serves", async (_, { routed, build }) => {
    for (const service of ["customers", "accounts"] as const) {
      const reply = await exchange(system[service].url, build(targets()[service]));
      expect(statusesOf(reply).filter((status) => status >= 500)).toEqual([]);
      if (routed) {
        // Reached a route: the service answered it, and not with "no route for ...".
        expect({
          service,
          answered: statusesOf(reply).length > 0,
          unrouted: reply.includes("no route for"),
        }).toEqual({ service, answered: true, unrouted: false });
      }
      expect((await fetch(`${system[service].url}/health/live`)).status).toBe(200);
    }
  });

  test.each(["x", "a.b", "x:1", "", "127.0.0.1"])(
    "with Host %p, a request reaches its route on each service",
    async (host) => {
      for (const service of ["customers", "accounts"] as const) {
        const { read } = targets()[service];
        const request = `GET ${read} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`;
        const reply = await exchange(system[service].url, request);
        expect({ service, host, statuses: statusesOf(reply) }).toEqual({ service, host, statuses: [200] });
        const health = await exchange(
          system[service].url,
          `GET /health/live HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        expect(health).toContain(`"service":"${service}"`);
      }
    },
  );

  test("after the whole corpus nothing was stored or published", async () => {
    await system.settled();
    const entries = await system.redis.client.xrange(system.streamKey, "-", "+");
    expect(entries.map(([, fields]) => fields[fields.indexOf("EventTypeName") + 1])).toEqual([
      "AccountCreated",
      "AccountCreated",
    ]);
    const count = (service: "customers" | "accounts", table: string) =>
      readServiceDb<{ n: number }>(system.dataDir, service, `SELECT count(*) AS n FROM ${table}`)[0]?.n ?? 0;
    expect({
      customers: count("customers", "customers"),
      invoices: count("customers", "invoices"),
      accounts: count("accounts", "accounts"),
      outbox: count("customers", "outbox") + count("accounts", "outbox"),
    }).toEqual({ customers: 0, invoices: 0, accounts: 2, outbox: 0 });
  });
});

import { expect } from "bun:test";
import fc from "fast-check";
import type { Reply } from "./api";
import type { Footprint } from "./app-harness";
import type { Send } from "./bad-requests";
import { expectOwnWords } from "./problems";

/** How many requests each property sends (PROPERTY_RUNS scales every property test). */
export const HOSTILE_RUNS = Number(process.env.PROPERTY_RUNS) || 60;

const DANGEROUS_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

/** Strings that have broken parsers and validators: control, surrogate, huge, lookalike digits, injection. */
export const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\uD800",
    "\uFEFF1",
    "１２３",
    "١٢٣",
    "𝟙𝟚𝟛",
    "1 ",
    " 1",
    "+1",
    "-1",
    "0x10",
    "1e3",
    "9".repeat(16),
    "9".repeat(400),
    "𝕏".repeat(201),
    "a".repeat(5000),
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "NaN",
    "Infinity",
    "2019-02-30",
    "2019-13-01",
    "99999-01-01",
    "2019-1-1",
  ),
);

/** Numbers as JSON text, including what JSON.parse cannot represent exactly or at all. */
export const hostileNumberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom(
    "9007199254740992",
    "9007199254740993",
    "-9007199254740993",
    "1e308",
    "1e309",
    "-1e309",
    "1e-400",
    "-0",
    "0.1",
    "100.5",
    "1E2",
    "10000000000",
    "10000000001",
    "123456789012345678901234567890",
  ),
);

/** Any JSON value as text: scalars, hostile numbers and strings, small structures, deep nesting. */
export const hostileValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileNumberText },
  { weight: 3, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom("true", "false", "null", "{}", "[]", '{"$gt":""}', '["1"]') },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
  },
);

/**
 * A JSON object as text whose keys come from the route's own fields, dangerous keys and random ones, with
 * repeats allowed (duplicate keys), and hostile values.
 */
export function hostileObjectText(fields: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...fields) },
    { weight: 1, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
  return fc
    .array(fc.tuple(key, hostileValueText), { maxLength: 6 })
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`);
}

/** A body as sent: JSON text with a JSON or wrong content type, or raw bytes. */
export function hostileBody(fields: string[]): fc.Arbitrary<Send> {
  const contentType = fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/json;charset=latin1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    undefined,
  );
  const json = fc.tuple(hostileObjectText(fields), contentType);
  const bytes = fc.uint8Array({ maxLength: 64 });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: json.map(([body, type]): Send => ({ body, headers: type ? { "content-type": type } : {} })),
    },
    {
      weight: 1,
      arbitrary: hostileValueText.map(
        (body): Send => ({ body, headers: { "content-type": "application/json" } }),
      ),
    },
    {
      weight: 1,
      arbitrary: bytes.map((body): Send => ({ body, headers: { "content-type": "application/json" } })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Send>(
        { body: `{"name":"${"x".repeat(70_000)}"}`, headers: { "content-type": "application/json" } },
        {
          body: `${"[".repeat(60_000)}${"]".repeat(60_000)}`,
          headers: { "content-type": "application/json" },
        },
        {
          body: '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n',
          headers: { "content-type": "multipart/form-data; boundary=xyz" },
        },
      ),
    },
  );
}

/** Every UTF-8 byte percent-encoded (a lone surrogate goes as U+FFFD, as a browser would send it). */
function percentEncoded(text: string): string {
  return Array.from(new TextEncoder().encode(text), (byte) => `%${byte.toString(16).padStart(2, "0")}`).join(
    "",
  );
}

/** A path segment: hostile text, percent-encoded as a client would send it, or raw look-alikes of ids. */
export const hostileSegment = fc.oneof(
  hostileString.filter((s) => s.length > 0).map(percentEncoded),
  fc.constantFrom("0", "-1", "1.0", "1e3", "9007199254740993", "9".repeat(30), "%2e%2e", "%", "%zz", "null"),
);

/** A query string with route keys, random keys, repeats and hostile values. */
export function hostileQuery(keys: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(fc.constantFrom(...keys, ...DANGEROUS_KEYS), fc.string({ maxLength: 8 }));
  const value = fc.oneof(hostileString, hostileNumberText);
  return fc
    .array(fc.tuple(key, value), { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => `${percentEncoded(k)}=${percentEncoded(v)}`).join("&"));
}

/** Header values a client can put on the wire (visible ASCII and spaces), some very long. */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constantFrom("", "x".repeat(300), "Bearer", "Bearer ", "Bearer a.b.c", "bearer x"),
);

/** Extra request headers: Idempotency-Key, X-Request-Id and friends with hostile values. */
export const hostileHeaders = fc.record(
  {
    "idempotency-key": headerValue,
    "x-request-id": headerValue,
    "x-forwarded-for": headerValue,
    accept: headerValue,
  },
  { requiredKeys: [] },
);

/** The rules every answer to a hostile request keeps: no 5xx, problem bodies, nothing stored when refused. */
export function expectSafeAnswer(reply: Reply, before: Footprint, after: Footprint, what: string): void {
  expect({ what, serverError: reply.status >= 500 }).toEqual({ what, serverError: false });
  if (reply.status >= 400) {
    expect({ what, type: reply.headers.get("content-type")?.split(";")[0] }).toEqual({
      what,
      type: "application/problem+json",
    });
    expect({ what, status: reply.body.status }).toEqual({ what, status: reply.status });
    expectOwnWords(reply.body, what);
    expect({ what, after }).toEqual({ what, after: before });
  }
}

/** One route to attack: its method, the paths (with query) to try and the bodies to send. */
export type HostileRoute = {
  route: string;
  method: string;
  path: fc.Arbitrary<string>;
  send: fc.Arbitrary<Send>;
};

type Target = {
  call(method: string, path: string, send: Send): Promise<Reply>;
  footprint(): Promise<Footprint>;
};

const authorizations = fc.constantFrom("valid", "valid", "valid", "none", "garbage");

/**
 * Sends HOSTILE_RUNS hostile requests to `route` (with a valid token most of the time, none or a garbage
 * one otherwise) and checks each answer with expectSafeAnswer.
 */
export async function attackRoute(
  app: Target,
  { method, path, send }: HostileRoute,
  token: string,
  seed: number,
) {
  await fc.assert(
    fc.asyncProperty(path, send, hostileHeaders, authorizations, async (target, sent, headers, auth) => {
      const before = await app.footprint();
      const reply = await app.call(method, target, {
        ...sent,
        headers: { ...headers, ...sent.headers },
        authorization: auth === "valid" ? token : auth === "garbage" ? "Bearer x.y.z" : undefined,
      });
      expectSafeAnswer(reply, before, await app.footprint(), `${method} ${target}`);
    }),
    { numRuns: HOSTILE_RUNS, seed },
  );
}

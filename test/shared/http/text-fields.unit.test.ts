import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { z } from "zod";
import { accountSchemas, loginBody, newUsername } from "../../../accounts/schemas";
import { customerSchemas } from "../../../customers/schemas";
import { ValidationError } from "../../../shared/http/errors";
import { parseJsonBody } from "../../../shared/http/parse";
import { expectOwnWords } from "../../support/problems";
import { testSeed } from "../../support/random";

const SEED = testSeed(20_261_125);
const RUNS = Number(process.env.PROPERTY_RUNS) || 300;

/** Every text field of every request: the body schema it is sent in, and a valid body around it. */
const { createCustomerBody, renameCustomerBody } = customerSchemas();
const { createAccountBody } = accountSchemas();
const textFields: [string, z.ZodType, string, Record<string, unknown>][] = [
  ["customer name (POST /customers)", createCustomerBody, "name", { account_id: "1" }],
  ["customer name (PATCH /customers/:id)", renameCustomerBody, "name", {}],
  ["account name (POST /accounts)", createAccountBody, "name", { description: "d" }],
  ["account description (POST /accounts)", createAccountBody, "description", { name: "n" }],
  ["username (POST /auth/login)", loginBody, "username", { password: "p" }],
];

const codePoints = (ranges: [number, number][]) =>
  fc.oneof(...ranges.map(([min, max]) => fc.integer({ min, max }))).map((c) => String.fromCodePoint(c));

/** C0 and C1 controls, bidirectional embeddings, overrides and isolates, and the lone directional marks. */
const unsafe = codePoints([
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
  [0x200e, 0x200f],
  [0x061c, 0x061c],
]);

/** Printable text: ASCII, Latin, Greek, Hebrew and Arabic letters and digits, CJK, emoji, spaces. */
const printable = fc.string({
  unit: codePoints([
    [0x20, 0x7e],
    [0xa0, 0xff],
    [0x391, 0x3c9],
    [0x5d0, 0x5ea],
    [0x621, 0x64a],
    [0x660, 0x669],
    [0x4e00, 0x4e80],
    [0x1f600, 0x1f64f],
  ]),
  maxLength: 40,
});

/** The refusal of `body` by `schema` as `{ field: messages }`, or undefined when it is accepted. */
function refusalOf(schema: z.ZodType, body: unknown): Record<string, string[]> | undefined {
  try {
    parseJsonBody(schema, body, "application/json");
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
}

describe.each(textFields)("the %s", (_, schema, field, rest) => {
  test("refuses text with an unsafe character anywhere, naming the field and the character", () => {
    fc.assert(
      fc.property(printable, unsafe, printable, (before, bad, after) => {
        const errors = refusalOf(schema, { ...rest, [field]: `${before}${bad}${after}` });
        const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
        expect(errors).toEqual({
          [field]: [`must not contain control or bidirectional formatting characters (it has ${code})`],
        });
        expectOwnWords({ errors });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test("accepts printable text (trimmed) that fits its length", () => {
    fc.assert(
      fc.property(printable, (text) => {
        fc.pre(text.trim() !== "" || field === "description");
        expect(refusalOf(schema, { ...rest, [field]: text })).toBeUndefined();
        const parsed = (schema as z.ZodType<Record<string, unknown>>).parse({ ...rest, [field]: text });
        expect(parsed[field]).toBe(field === "username" ? text : text.trim());
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe("a username as ops user add creates it", () => {
  test("refuses an unsafe character anywhere", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{0,40}$/), unsafe, (name, bad) => {
        expect(newUsername.safeParse(`${name}${bad}`).success).toBe(false);
        expect(newUsername.safeParse(`${bad}${name}`).success).toBe(false);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test("accepts 1 to 100 of A-Z a-z 0-9 . _ -", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,100}$/), (name) => {
        expect(newUsername.safeParse(name).success).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

test("the issue's example is refused", () => {
  expect(refusalOf(createCustomerBody, { name: "a\u0000c\u202e", account_id: "1" })).toEqual({
    name: ["must not contain control or bidirectional formatting characters (it has U+0000)"],
  });
});

import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { ValidationError } from "../../../shared/http/errors";
import { parseJsonBody, parseQuery } from "../../../shared/http/parse";
import { expectOwnWords } from "../../support/problems";

/** The ValidationError `parse` throws, as its detail and field messages. */
function refusal(parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return { detail: error.message, errors: error.errors };
    throw error;
  }
  throw new Error("not refused");
}

const json = (schema: z.ZodType, body: unknown) =>
  refusal(() => parseJsonBody(schema, body, "application/json"));

describe("zod's issues in the project's words", () => {
  test.each([
    ["a string given a number", z.object({ a: z.string() }), { a: 1 }, "must be a string"],
    ["a number given a string", z.object({ a: z.number() }), { a: "1" }, "must be a number"],
    [
      "a whole number given a fraction",
      z.object({ a: z.number().int() }),
      { a: 1.5 },
      "must be a whole number",
    ],
    ["a boolean given a string", z.object({ a: z.boolean() }), { a: "yes" }, "must be true or false"],
    ["an array given an object", z.object({ a: z.array(z.string()) }), { a: {} }, "must be a JSON array"],
    ["an object given an array", z.object({ a: z.object({}) }), { a: [] }, "must be a JSON object"],
    ["a string too short", z.object({ a: z.string().min(3) }), { a: "ab" }, "must be at least 3 characters"],
    ["an empty string", z.object({ a: z.string().min(1) }), { a: "" }, "must not be empty"],
    ["a string too long", z.object({ a: z.string().max(2) }), { a: "abc" }, "must be at most 2 characters"],
    ["a number too small", z.object({ a: z.number().positive() }), { a: 0 }, "must be more than 0"],
    ["a number too big", z.object({ a: z.number().max(9) }), { a: 10 }, "must be at most 9"],
    [
      "a list too long",
      z.object({ a: z.array(z.number()).max(1) }),
      { a: [1, 2] },
      "must be at most 1 entry",
    ],
    [
      "a pattern not met",
      z.object({ a: z.string().regex(/^x$/) }),
      { a: "y" },
      "is not in the accepted format",
    ],
    ["an e-mail address", z.object({ a: z.email() }), { a: "y" }, "is not in the accepted format"],
    ["a multiple", z.object({ a: z.number().multipleOf(5) }), { a: 7 }, "must be a multiple of 5"],
    ["a literal", z.object({ a: z.literal("USD") }), { a: "EUR" }, 'must be "USD"'],
    ["an enum", z.object({ a: z.enum(["x", "y"]) }), { a: "z" }, 'must be one of "x", "y"'],
    ["a union", z.object({ a: z.union([z.string(), z.number()]) }), { a: true }, "is not accepted"],
    ["a refinement", z.object({ a: z.string().refine(() => false) }), { a: "x" }, "is not accepted"],
  ] as const)("%s", (_, schema, body, message) => {
    const { errors } = json(schema, body);
    expect(errors).toEqual({ a: [message] });
    expectOwnWords({ errors });
  });

  test("a body of the wrong kind is named as the body", () => {
    expect(json(z.object({ a: z.string() }), []).errors).toEqual({ body: ["must be a JSON object"] });
  });

  test("a missing field is required, an unknown one is not accepted, and the detail names them", () => {
    const refused = json(z.strictObject({ a: z.string() }), { b: 1 });
    expect(refused).toEqual({
      detail: "the request has invalid fields: a, b",
      errors: { a: ["is required"], b: ["is not an accepted field"] },
    });
  });

  test("a message the schema gives is kept", () => {
    const schema = z.object({ a: z.string({ error: "must be a name" }).min(2, "is too short for a name") });
    expect(json(schema, { a: 1 }).errors).toEqual({ a: ["must be a name"] });
    expect(json(schema, { a: "x" }).errors).toEqual({ a: ["is too short for a name"] });
  });

  test("a query's parameters are named the same way", () => {
    const schema = z.object({ limit: z.string().regex(/^\d+$/) });
    expect(refusal(() => parseQuery(schema, { limit: "x" }))).toEqual({
      detail: "the query has invalid parameters: limit",
      errors: { limit: ["is not in the accepted format"] },
    });
  });
});

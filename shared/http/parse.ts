import type { z } from "zod";
import { decimalId } from "../events/schemas";
import { ValidationError } from "./errors";

/**
 * Validates a JSON request body against a zod schema, or throws: 415 for another content type, 400 for a
 * missing body, 422 with every offending field for a body of the wrong shape.
 */
export function parseJsonBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  contentType: string | undefined,
): z.infer<S> {
  if (contentType?.split(";")[0]?.trim().toLowerCase() !== "application/json") {
    throw new ValidationError(
      { body: ["must be sent as application/json"] },
      "the request body must be JSON with Content-Type: application/json",
      415,
    );
  }
  if (body === undefined || body === null) {
    throw new ValidationError({ body: ["is required"] }, "the request body must be a JSON object", 400);
  }
  const result = schema.safeParse(body, { error: ownWords });
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, body);
  throw new ValidationError(errors, `the request has invalid fields: ${Object.keys(errors).join(", ")}`);
}

/** Validates a query string against a zod schema, or throws 422 naming every offending parameter. */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  query: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(query, { error: ownWords });
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, query);
  throw new ValidationError(errors, `the query has invalid parameters: ${Object.keys(errors).join(", ")}`);
}

const TYPE_WORDS: Record<string, string> = {
  string: "must be a string",
  number: "must be a number",
  int: "must be a whole number",
  boolean: "must be true or false",
  array: "must be a JSON array",
  object: "must be a JSON object",
};

const UNITS: Record<string, [string, string]> = {
  string: ["character", "characters"],
  array: ["entry", "entries"],
};

/** A bound of a size or a value: "3 characters", "1 entry", "9". */
function bound(origin: string, value: number | bigint): string {
  const unit = UNITS[origin];
  return unit ? `${value} ${Number(value) === 1 ? unit[0] : unit[1]}` : String(value);
}

const shown = (value: unknown) => (typeof value === "string" ? JSON.stringify(value) : String(value));

/**
 * zod's issues in the project's words, for the schemas that gave none of their own (zod's own messages,
 * such as "Invalid input: expected string, received number", are never sent). The field is the key the
 * message is filed under.
 */
export const ownWords: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return TYPE_WORDS[issue.expected] ?? "has the wrong type";
    case "too_small":
      if (issue.origin === "string" && Number(issue.minimum) <= 1) return "must not be empty";
      return `must be ${issue.inclusive === false ? "more than" : "at least"} ${bound(issue.origin, issue.minimum)}`;
    case "too_big":
      return `must be ${issue.inclusive === false ? "less than" : "at most"} ${bound(issue.origin, issue.maximum)}`;
    case "invalid_format":
      return "is not in the accepted format";
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${shown(issue.values[0])}`
        : `must be one of ${issue.values.map(shown).join(", ")}`;
    case "unrecognized_keys":
      return "is not an accepted field";
    default:
      return "is not accepted";
  }
};

/**
 * zod issues as `{ "field.path": [messages] }`; unknown keys are reported under their own names, and a
 * field absent from `input` as "is required".
 */
export function fieldErrors(error: z.ZodError, input?: unknown): Record<string, string[]> {
  // A Map, then fromEntries: a field named "__proto__" becomes a key like any other.
  const errors = new Map<string, string[]>();
  const add = (field: string, message: string) => errors.set(field, [...(errors.get(field) ?? []), message]);
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(path ? `${path}.${key}` : key, "is not an accepted field");
    } else {
      add(path || "body", isMissing(input, issue.path) ? "is required" : issue.message);
    }
  }
  return Object.fromEntries(errors);
}

/** The numeric id in a path segment, or undefined when the segment is not a decimal id (it names nothing). */
export function pathId(raw: string): number | undefined {
  return decimalId.safeParse(raw).success ? Number(raw) : undefined;
}

function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return true;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return false;
}

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
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new ValidationError(fieldErrors(result.error, body));
}

/** Validates a query string against a zod schema, or throws 422 naming every offending parameter. */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  query: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  throw new ValidationError(fieldErrors(result.error, query), "the query has invalid parameters");
}

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

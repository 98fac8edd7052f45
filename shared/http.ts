import { Elysia } from "elysia";
import type { z } from "zod";
import { AuthError, HttpError, ValidationError } from "./errors";
import { decimalId } from "./events";
import type { Logger } from "./log";

const PROBLEM_TYPE = "application/problem+json";

/** An RFC 9457 problem response; `errors` (field path → messages) is present for validation problems. */
export function problem(
  status: number,
  title: string,
  detail: string,
  errors?: Record<string, string[]>,
  extraHeaders: Record<string, string> = {},
): Response {
  const body = { type: "about:blank", title, status, detail, ...(errors ? { errors } : {}) };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": PROBLEM_TYPE, ...extraHeaders },
  });
}

/** Maps every error of an app to a problem body: typed errors keep their status, anything else is a logged 500. */
export function problemMapper(logger: Logger) {
  return new Elysia({ name: "problem-mapper" }).onError({ as: "global" }, ({ code, error, request }) => {
    if (error instanceof HttpError) {
      const challenge = error instanceof AuthError && error.bearerChallenge;
      const headers: Record<string, string> = challenge
        ? { "www-authenticate": 'Bearer realm="streamledger"' }
        : {};
      return problem(error.status, error.title, error.message, error.errors, headers);
    }
    if (code === "PARSE") return problem(400, "Malformed request body", "the request body is not valid JSON");
    if (code === "NOT_FOUND")
      return problem(404, "Not found", `no route for ${request.method} ${new URL(request.url).pathname}`);
    logger.error("unhandled error", {
      method: request.method,
      path: new URL(request.url).pathname,
      error: String(error),
    });
    return problem(500, "Internal server error", "the server failed to handle the request");
  });
}

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

/**
 * zod issues as `{ "field.path": [messages] }`; unknown keys are reported under their own names, and a
 * field absent from `input` as "is required".
 */
export function fieldErrors(error: z.ZodError, input?: unknown): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => {
    if (!Object.hasOwn(errors, field)) errors[field] = [];
    errors[field]?.push(message);
  };
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(path ? `${path}.${key}` : key, "is not an accepted field");
    } else {
      add(path || "body", isMissing(input, issue.path) ? "is required" : issue.message);
    }
  }
  return errors;
}

/** The JSON response for a created resource. */
export function created(body: unknown): Response {
  return Response.json(body, { status: 201 });
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

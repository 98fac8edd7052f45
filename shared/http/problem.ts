import type { Logger } from "../process/log";
import { AuthError, HttpError, TooManyRequestsError } from "./errors";

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

/** The problem response for an error a request ended with; anything untyped is a logged 500. */
export function problemOf(
  code: unknown,
  error: unknown,
  request: Request,
  path: string,
  logger: Logger,
  requestId: string,
): Response {
  if (error instanceof HttpError) {
    const headers: Record<string, string> = {};
    if (error instanceof AuthError && error.bearerChallenge) {
      headers["www-authenticate"] = 'Bearer realm="streamledger"';
    }
    if (error instanceof TooManyRequestsError) headers["retry-after"] = String(error.retryAfterSeconds);
    return problem(error.status, error.title, error.message, error.errors, headers);
  }
  if (code === "PARSE") return problem(400, "Malformed request body", "the request body is not valid JSON");
  if (code === "NOT_FOUND") return problem(404, "Not found", `no route for ${request.method} ${path}`);
  logger.error("unhandled error", {
    request_id: requestId,
    method: request.method,
    path,
    error: String(error),
  });
  return problem(500, "Internal server error", "the server failed to handle the request");
}

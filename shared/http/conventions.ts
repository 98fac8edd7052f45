import { Elysia } from "elysia";
import type { Logger } from "../process/log";
import { duplicateKeyIn } from "./duplicate-keys";
import { HttpError, ValidationError } from "./errors";
import type { Metrics } from "./metrics";
import { problem, problemOf } from "./problem";

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * On every response unless the route sets its own (a returned Response's headers win): API answers are
 * never sniffed, framed, cached or sent with a referrer, and load nothing (a page sets its own CSP).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-site",
  "cache-control": "no-store",
};

/**
 * What every app does around its routes: a request id (the client's `X-Request-Id` if it is sane, else a
 * new one, echoed back), a 413 for a declared body over `maxBodyBytes` before anything reads it (the
 * server's own limit catches undeclared ones), every error mapped to a problem body (typed errors keep
 * their status, anything else is a logged 500), and per request one log line and the HTTP metrics.
 */
export function httpConventions({
  logger,
  metrics,
  maxBodyBytes = 65_536,
}: {
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes?: number;
}) {
  const requests = requestRecorder(logger, metrics);
  return (
    new Elysia({ name: "http-conventions" })
      .onRequest(({ request, set }) => {
        const given = request.headers.get("x-request-id");
        const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
        const url = urlOf(request);
        requests.begin(request, id, url);
        Object.assign(set.headers, SECURITY_HEADERS);
        set.headers["x-request-id"] = id;
        const refusal = refusalOf(request, url, maxBodyBytes);
        // Answered here, before any route: onAfterResponse does not run, so it is counted and logged now.
        if (refusal) requests.record(request, "unmatched", refusal.status);
        return refusal;
      })
      // JSON bodies are read here so their size is checked as read, chunked ones included.
      .onParse({ as: "global" }, async ({ request, contentType }) =>
        readJsonBody(request, contentType, maxBodyBytes),
      )
      .onError({ as: "global" }, ({ code, error, request }) => {
        // Elysia wraps what a parse hook throws in its ParseError; the typed error inside decides.
        const cause = (error as { cause?: unknown }).cause;
        const actual = code === "PARSE" && cause instanceof HttpError ? cause : error;
        const { id, url } = requests.tracked(request);
        const response = problemOf(code, actual, request, url.pathname, logger, id);
        requests.failed(request, response.status, actual instanceof HttpError ? actual.reason : undefined);
        return response;
      })
      .onAfterResponse({ as: "global" }, (context) => {
        const { request, set } = context;
        const returned = (context as { responseValue?: unknown }).responseValue;
        const status =
          requests.tracked(request).errorStatus ??
          (returned instanceof Response
            ? returned.status
            : typeof set.status === "number"
              ? set.status
              : 200);
        // Runs after the answer left: a throw here would have no request to fail, only the process.
        try {
          requests.record(request, (context as { route?: string }).route ?? "unmatched", status);
        } catch (error) {
          logger.error("could not record a request", { error: String(error) });
        }
      })
  );
}

type Tracked = { id: string; started: number; url: URL; errorStatus?: number; reason?: string };

/** Each request's id, start time and URL from its arrival, and its one log line and metrics at its end. */
function requestRecorder(logger: Logger, metrics: Metrics) {
  const requests = new WeakMap<Request, Tracked>();
  const tracked = (request: Request): Tracked =>
    requests.get(request) ?? { id: "unknown", started: performance.now(), url: urlOf(request) };
  return {
    tracked,
    begin(request: Request, id: string, url: URL): void {
      requests.set(request, { id, started: performance.now(), url });
    },
    /** The status an error mapped the request to, which the response hook cannot see, and its cause. */
    failed(request: Request, status: number, reason: string | undefined): void {
      const entry = requests.get(request);
      if (entry) Object.assign(entry, { errorStatus: status, reason });
    },
    record(request: Request, route: string, status: number): void {
      const { id, started, url, reason } = tracked(request);
      const seconds = (performance.now() - started) / 1000;
      metrics.httpRequest(request.method, route, status, seconds);
      logger.info("request", {
        request_id: id,
        method: request.method,
        route,
        path: url.pathname,
        status,
        duration_ms: Math.round(seconds * 10_000) / 10,
        ...(reason === undefined ? {} : { reason }),
      });
    },
  };
}

/** The problem answering a request refused on sight: a repeated query parameter, a declared body too large. */
function refusalOf(request: Request, url: URL, maxBodyBytes: number): Response | undefined {
  const repeated = repeatedQueryParameter(url);
  if (repeated !== undefined) {
    // Refused rather than guessed at: frameworks disagree on whether the first or the last one wins.
    return problem(422, "Invalid request", `the query parameter "${repeated}" is given more than once`, {
      [repeated]: ["is given more than once"],
    });
  }
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > maxBodyBytes) {
    return problem(413, "Request body too large", `the request body may be at most ${maxBodyBytes} bytes`);
  }
  return undefined;
}

/**
 * A JSON body read with its size checked: null when empty, a 413 over `maxBodyBytes`, a 400 when it is
 * not JSON, a 422 naming a key given twice. Another content type is left to the framework (undefined).
 */
async function readJsonBody(request: Request, contentType: string | undefined, maxBodyBytes: number) {
  if (contentType?.split(";")[0]?.trim().toLowerCase() !== "application/json") return;
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBodyBytes) {
    throw new HttpError(
      413,
      "Request body too large",
      `the request body may be at most ${maxBodyBytes} bytes`,
    );
  }
  if (text.trim() === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, "Malformed request body", "the request body is not valid JSON");
  }
  const repeated = duplicateKeyIn(text);
  if (repeated !== undefined) {
    throw new ValidationError(
      { [repeated]: ["is given more than once"] },
      `the request body gives "${repeated}" more than once`,
    );
  }
  return parsed;
}

function repeatedQueryParameter(url: URL): string | undefined {
  const seen = new Set<string>();
  for (const name of url.searchParams.keys()) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** The request's URL, parsed once; an HTTP/1.0 request without a Host header has a relative one, which must not throw. */
function urlOf(request: Request): URL {
  return new URL(request.url, "http://unknown-host");
}

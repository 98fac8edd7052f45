import { Elysia } from "elysia";

const ALLOWED_METHODS = "GET, POST, PATCH, DELETE";
const ALLOWED_HEADERS = "authorization, content-type, idempotency-key, last-event-id, x-request-id";
const EXPOSED_HEADERS = "x-request-id, idempotent-replayed, retry-after";

/**
 * CORS for the given origins only (the dashboard's): their requests get the allow headers and their
 * preflights a 204; any other origin gets neither, so its browser refuses. Bearer tokens, not cookies:
 * no credentials are allowed.
 */
export function corsFor(origins: readonly string[]) {
  const allowed = new Set(origins);
  return new Elysia({ name: "cors" }).onRequest(({ request, set }) => {
    const origin = request.headers.get("origin");
    const preflight = request.method === "OPTIONS" && request.headers.has("access-control-request-method");
    set.headers.vary = "Origin";
    if (origin === null || !allowed.has(origin)) {
      return preflight ? new Response(null, { status: 204, headers: { vary: "Origin" } }) : undefined;
    }
    set.headers["access-control-allow-origin"] = origin;
    set.headers["access-control-expose-headers"] = EXPOSED_HEADERS;
    if (!preflight) return;
    return new Response(null, {
      status: 204,
      headers: {
        vary: "Origin",
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
      },
    });
  });
}

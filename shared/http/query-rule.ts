import { Elysia } from "elysia";
import { ValidationError } from "./errors";

const NONE: ReadonlySet<string> = new Set();

/**
 * The one query rule of every route of a service: a query parameter the route's operation in the service's
 * OpenAPI document does not name is refused (422, naming it), before anything else looks at the request;
 * a route whose operation names none takes none. The route's own schema then checks the values
 * (parseQuery). What the document publishes is thereby exactly what is accepted.
 */
export function queryRule(openApiDocument: unknown) {
  const accepted = queryParametersOf(openApiDocument);
  return new Elysia().onBeforeHandle({ as: "global" }, ({ request, route }) => {
    const start = request.url.indexOf("?");
    if (start === -1) return;
    const method = request.method === "HEAD" ? "GET" : request.method;
    const names = accepted.get(`${method} ${route}`) ?? NONE;
    const unknown = [...new URLSearchParams(request.url.slice(start + 1)).keys()].filter(
      (name) => !names.has(name),
    );
    if (unknown.length === 0) return;
    const errors = Object.fromEntries(unknown.map((name) => [name, ["is not an accepted parameter"]]));
    throw new ValidationError(errors, `the query has invalid parameters: ${unknown.join(", ")}`);
  });
}

type Operation = { parameters?: { name: string; in: string }[] };

/** The query parameters each operation of an OpenAPI document names, by "METHOD /elysia/:path". */
export function queryParametersOf(openApiDocument: unknown): Map<string, ReadonlySet<string>> {
  const { paths = {} } = openApiDocument as { paths?: Record<string, Record<string, Operation>> };
  const accepted = new Map<string, ReadonlySet<string>>();
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const names = (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
      accepted.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`, new Set(names));
    }
  }
  return accepted;
}

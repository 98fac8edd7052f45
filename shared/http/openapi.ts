import { z } from "zod";

type Method = "get" | "post" | "patch" | "delete";

/**
 * One response of a route: a body of `contentType` (default JSON) described by `schema` (for an event
 * stream, each message's data), a body of another type, or none (204).
 */
export type ResponseDoc = { description: string; schema?: z.ZodType; contentType?: string };

/** What the OpenAPI document says of one route; `path` uses Elysia's `:param` form. */
export type RouteDoc = {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  /** Needs `Authorization: Bearer <token>` (default true). */
  auth?: boolean;
  /** Takes an `Idempotency-Key` header. */
  idempotent?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  responses: Record<number, ResponseDoc>;
};

/** The RFC 9457 problem body every error answers with. */
export const problemBody = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z
    .record(z.string(), z.array(z.string()))
    .optional()
    .describe("each offending field's path and what is wrong with it"),
});

export const healthBody = z.looseObject({
  service: z.string(),
  status: z.string(),
  consumer: z.looseObject({ position: z.string(), lag: z.number().int().nullable() }),
  outbox: z.looseObject({ count: z.number().int() }),
});

/** The pages and documents every service serves besides its API. */
export const COMMON_ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/openapi.json",
    summary: "This OpenAPI document",
    tag: "docs",
    auth: false,
    responses: { 200: { description: "OpenAPI 3.1", schema: z.looseObject({ openapi: z.string() }) } },
  },
  {
    method: "get",
    path: "/docs",
    summary: "The API documentation page",
    tag: "docs",
    auth: false,
    responses: { 200: { description: "HTML page", contentType: "text/html" } },
  },
  ...["/health", "/health/live", "/health/ready"].map(
    (path): RouteDoc => ({
      method: "get",
      path,
      summary:
        path === "/health/ready"
          ? "Readiness: 503 while Redis, SQLite or the consumer is not well"
          : "Health",
      tag: "operations",
      auth: false,
      responses:
        path === "/health/ready"
          ? {
              200: { description: "ready", schema: healthBody },
              503: { description: "not ready", schema: healthBody },
            }
          : { 200: { description: "the service's state", schema: healthBody } },
    }),
  ),
  {
    method: "get",
    path: "/metrics",
    summary:
      "Prometheus metrics (on the service's own metrics listener instead when CUSTOMERS_METRICS_PORT / ACCOUNTS_METRICS_PORT is set)",
    tag: "operations",
    auth: false,
    responses: {
      200: { description: "Prometheus text format", contentType: "text/plain" },
      401: {
        description: "METRICS_TOKEN is set and the request does not carry it as a bearer token",
        schema: problemBody,
        contentType: "application/problem+json",
      },
    },
  },
];

const jsonSchemaOf = (schema: z.ZodType, io: "input" | "output") => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
};

/**
 * An OpenAPI 3.1 document from the routes' zod schemas: request bodies and query parameters as the
 * client sends them (zod's input side), responses as the service returns them (the output side).
 */
export function openApiDocument(info: { title: string; description: string }, routes: RouteDoc[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    paths[path] ??= {};
    paths[path][route.method] = operationOf(route);
  }
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: "0.1.0", description: info.description },
    paths,
    components: {
      schemas: { Problem: jsonSchemaOf(problemBody, "output") },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT (ES256), from accounts' POST /auth/login",
        },
      },
    },
  };
}

function operationOf(route: RouteDoc) {
  const parameters = parametersOf(route);
  return {
    summary: route.summary,
    tags: [route.tag],
    operationId: operationIdOf(route),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchemaOf(route.body, "input") } },
          },
        }
      : {}),
    ...(route.auth !== false ? { security: [{ bearer: [] }] } : {}),
    responses: responsesOf(route),
  };
}

/** The path's ids, the query's parameters, and the Idempotency-Key header of a write that takes one. */
function parametersOf(route: RouteDoc): unknown[] {
  const parameters: unknown[] = [];
  for (const match of route.path.matchAll(/:([A-Za-z_]+)/g)) {
    parameters.push({
      name: match[1],
      in: "path",
      required: true,
      schema: { type: "string", pattern: "^[0-9]+$" },
    });
  }
  if (route.query) {
    const query = jsonSchemaOf(route.query, "input") as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      parameters.push({ name, in: "query", required: query.required?.includes(name) ?? false, schema });
    }
  }
  if (route.idempotent) {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description: "1–255 visible ASCII characters; a retry with the same key replays the first reply",
      schema: { type: "string", minLength: 1, maxLength: 255 },
    });
  }
  return parameters;
}

/** The route's own responses, then the problems every route of its kind may answer with. */
function responsesOf(route: RouteDoc): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = { description: response.description, ...contentOf(response) };
  }
  const problem = {
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
  };
  if (route.body) responses["422"] ??= { description: "invalid fields, each named in `errors`", ...problem };
  if (route.auth !== false) responses["401"] ??= { description: "no valid bearer token", ...problem };
  responses.default ??= { description: "an error", ...problem };
  return responses;
}

function contentOf(response: ResponseDoc) {
  if (response.schema) {
    const type = response.contentType ?? "application/json";
    return { content: { [type]: { schema: jsonSchemaOf(response.schema, "output") } } };
  }
  if (response.contentType) return { content: { [response.contentType]: { schema: { type: "string" } } } };
  return {};
}

/** `GET /accounts/:id/customers` → `getAccountsByIdCustomers`. */
function operationIdOf(route: RouteDoc): string {
  const words = route.path
    .split(/[^A-Za-z0-9:]+/)
    .filter((word) => word !== "")
    .map((word) => (word.startsWith(":") ? `By${capitalize(word.slice(1))}` : capitalize(word)));
  return `${route.method}${words.join("") || "Root"}`;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

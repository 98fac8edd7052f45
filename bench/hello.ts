import { Elysia } from "elysia";

// The ingest baseline: a hello-world Elysia route on the same runtime, answering the same requests.
const port = Number(process.env.PORT ?? 3000);
new Elysia()
  .get("/health", () => ({ service: "hello" }))
  .post("/invoices", () => ({ hello: "world" }))
  .listen({ hostname: "127.0.0.1", port });

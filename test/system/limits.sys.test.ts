import { describe, expect, test } from "bun:test";
import { request } from "../support/api";
import { expectProblem } from "../support/problems";
import { eventually } from "../support/resources";
import { metricValue } from "../support/services";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();

describe("input limits set by configuration", () => {
  test("MAX_NAME_LENGTH, MAX_PAGE_SIZE and MAX_ACCOUNTS_PER_USER apply to both services and their documents", async () => {
    const system = await systems.start({
      env: { MAX_NAME_LENGTH: "10", MAX_PAGE_SIZE: "5", MAX_ACCOUNTS_PER_USER: "2" },
    });
    const token = await system.login();
    const customers = `${system.customers.url}/customers`;

    const long = await request("POST", customers, { token, json: { name: "x".repeat(11), account_id: "1" } });
    expectProblem(long, 422, ["name"]);
    expect(JSON.stringify(long.body)).toContain("at most 10 characters");
    expect(
      (await request("POST", customers, { token, json: { name: "x".repeat(10), account_id: "1" } })).status,
    ).toBe(201);

    expectProblem(await request("GET", `${customers}?account_id=1&limit=6`, { token }), 422, ["limit"]);
    expect((await request("GET", `${customers}?account_id=1&limit=5`, { token })).status).toBe(200);
    const accountsPage = `${system.accounts.url}/accounts/1/customers`;
    expectProblem(await request("GET", `${accountsPage}?limit=6`, { token }), 422, ["limit"]);
    expect((await request("GET", `${accountsPage}?limit=5`, { token })).status).toBe(200);

    const accounts = `${system.accounts.url}/accounts`;
    expectProblem(await request("POST", accounts, { token, json: { name: "y".repeat(11) } }), 422, ["name"]);
    // user1 owns account 1 already: one more is allowed, a third is not.
    expect((await request("POST", accounts, { token, json: { name: "second" } })).status).toBe(201);
    const third = await request("POST", accounts, { token, json: { name: "third" } });
    expectProblem(third, 409);
    expect(JSON.stringify(third.body)).toContain("MAX_ACCOUNTS_PER_USER");
    await eventually("the refused account to stay unpublished", async () => {
      const entries = await system.redis.client.xrange(system.streamKey, "-", "+");
      const created = entries.filter(([, fields]) => fields.includes("AccountCreated"));
      return created.length === 3;
    });

    type Doc = {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<string, { schema: { properties: Record<string, { maxLength?: number }> } }>;
            };
          }
        >
      >;
    };
    const document = (await request<Doc>("GET", `${system.customers.url}/openapi.json`)).body;
    const body = document.paths["/customers"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(body?.properties.name?.maxLength).toBe(10);
  }, 60_000);
});

describe("the request body limit (MAX_BODY_BYTES)", () => {
  test("a body over MAX_BODY_BYTES gets a 413 problem before anything reads it", async () => {
    const system = await systems.start();
    const token = await system.login();
    const reply = await request("POST", `${system.customers.url}/customers`, {
      token,
      rawBody: JSON.stringify({ name: "x".repeat(70_000), account_id: "1" }),
      headers: { "content-type": "application/json" },
    });
    expect(reply.status).toBe(413);
    expect(reply.headers.get("content-type")).toStartWith("application/problem+json");
    expect(await metricValue(system.customers, "http_requests_total", { status: "413" })).toBe(1);
  });

  test("a body sent in chunks, with no declared length, is held to the same limit", async () => {
    const system = await systems.start();
    const token = await system.login();
    const body = new TextEncoder().encode(JSON.stringify({ name: "y".repeat(70_000), account_id: "1" }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 8192) controller.enqueue(body.slice(at, at + 8192));
        controller.close();
      },
    });
    const response = await fetch(`${system.customers.url}/customers`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toStartWith("application/problem+json");
  });
});

import { describe, expect, test } from "bun:test";
import { login, request } from "../support/api";
import { stoppedAfterEachTest } from "../support/lifecycle";
import { expectProblem } from "../support/problems";
import { eventually } from "../support/resources";
import { settled } from "../support/services";

const run = stoppedAfterEachTest();

describe("input limits set by configuration", () => {
  test("MAX_NAME_LENGTH, MAX_PAGE_SIZE and MAX_ACCOUNTS_PER_USER apply to both services and their documents", async () => {
    const redis = await run.redis();
    const system = await run.system(redis, {
      MAX_NAME_LENGTH: "10",
      MAX_PAGE_SIZE: "5",
      MAX_ACCOUNTS_PER_USER: "2",
    });
    await settled(system, redis.client);
    const token = await login(system.accounts.url, "user1", "password1");
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
      const entries = await redis.client.xrange(system.streamKey, "-", "+");
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

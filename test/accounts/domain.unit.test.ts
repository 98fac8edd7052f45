import { describe, expect, test } from "bun:test";
import { accountCreated, accountView, checkAccountReadable, parseDevUsers } from "../../accounts/domain";
import type { AccountView } from "../../accounts/schemas";
import { domainEvent } from "../../shared/events/schemas";
import { AuthError, NotFoundError } from "../../shared/http/errors";
import { thrownBy } from "../support/errors";
import { legacyWire } from "../support/fixtures";

const legacyAccounts = () => legacyWire().legacy_http["GET /accounts"].response;

const account = {
  id: 1,
  name: "one",
  description: "one",
  ownedBy: "user1",
  createdDate: "0001-01-01T00:00:00Z",
  totalRevenueCents: 12550,
};

describe("accountView", () => {
  test("has exactly the shape of the legacy GET /accounts item", () => {
    const view = accountView(account, [
      { id: 1, accountId: 1, name: "John Adams", totalRevenueCents: 12550 },
    ]);

    expect(view).toStrictEqual(legacyAccounts()[0] as AccountView);
  });

  test("lists only the customers of that account, in the order given", () => {
    const view = accountView(account, [
      { id: 4, accountId: 1, name: "Later", totalRevenueCents: 0 },
      { id: 2, accountId: 2, name: "Someone Else's", totalRevenueCents: 900 },
      { id: 3, accountId: 1, name: "Earlier", totalRevenueCents: 5 },
    ]);

    expect(view.customers).toStrictEqual([
      { customer_id: "4", name: "Later", total_revenue_cents: 0 },
      { customer_id: "3", name: "Earlier", total_revenue_cents: 5 },
    ]);
  });

  test("of an account without customers has an empty list and its stored total", () => {
    const view = accountView({ ...account, totalRevenueCents: 0 }, []);

    expect(view.customers).toEqual([]);
    expect(view.total_revenue_cents).toBe(0);
  });
});

describe("checkAccountReadable", () => {
  test("returns the caller's own account", () => {
    expect(checkAccountReadable(account, "1", { username: "user1" })).toBe(account);
  });

  test("when the account does not exist throws 404 naming the raw id", () => {
    const error = thrownBy(() => checkAccountReadable(undefined, "77", { username: "user1" }));

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, message: 'no account with id "77"' });
  });

  test("when the account belongs to another user throws 403", () => {
    const error = thrownBy(() => checkAccountReadable(account, "1", { username: "user2" }));

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 403, message: "account 1 belongs to another user" });
  });
});

describe("accountCreated", () => {
  test("builds a payload the shared event schema accepts, with a decimal string id", () => {
    const event = accountCreated({ ...account, id: 12, createdDate: "2026-11-24T10:00:00.000Z" });

    expect(domainEvent.parse(event)).toEqual(event);
    expect(event).toStrictEqual({
      type: "AccountCreated",
      payload: {
        id: "12",
        name: "one",
        description: "one",
        owned_by: "user1",
        created_date: "2026-11-24T10:00:00.000Z",
      },
    });
  });
});

describe("parseDevUsers", () => {
  test("reads the default DEV_USERS", () => {
    expect(parseDevUsers("user1:password1:one,user2:password2:two")).toEqual([
      { username: "user1", password: "password1", accountName: "one" },
      { username: "user2", password: "password2", accountName: "two" },
    ]);
  });

  test("trims entries, skips empty ones and keeps colons in the account name", () => {
    expect(parseDevUsers(" ann:pw:Main: EU , ,")).toEqual([
      { username: "ann", password: "pw", accountName: "Main: EU" },
    ]);
  });

  test("of an empty string is no users", () => {
    expect(parseDevUsers("")).toEqual([]);
  });

  test.each([
    ["user1", "no password or account"],
    ["user1:password1", "no account name"],
    ["user1:password1:", "an empty account name"],
    ["user1::one", "an empty password"],
    [":password1:one", "an empty user name"],
  ])("rejects %p (%s), quoting the entry", (entry) => {
    expect(() => parseDevUsers(`ok:pw:acct,${entry}`)).toThrow(
      `DEV_USERS entry "${entry}" must be written user:password:account name`,
    );
  });
});

import { describe, expect, test } from "bun:test";
import {
  checkAccountForNewCustomer,
  checkOwnCustomer,
  customerCreated,
  customerView,
  customerWithInvoicesView,
  invoiceCreated,
  unknownCustomer,
  unknownCustomerReference,
} from "../../customers/domain";
import { domainEvent } from "../../shared/events/schemas";
import { AuthError, NotFoundError, ValidationError } from "../../shared/http/errors";
import { thrownBy } from "../support/errors";

const user1 = { username: "user1" };
const user2 = { username: "user2" };
const account = { id: 1, ownedBy: "user1", deletedDate: null };
const customer = { id: 3, accountId: 1, name: "John Adams", createdDate: "2026-11-24T10:00:00.000Z" };
const invoice = (id: number, purchasePriceCents: number) => ({
  id,
  customerId: 3,
  purchaseDate: "2019-01-06",
  purchasePriceCents,
  currency: "USD",
  createdDate: "2026-11-24T10:00:01.000Z",
});

describe("checkAccountForNewCustomer", () => {
  test("returns the caller's own account", () => {
    expect(checkAccountForNewCustomer(account, "1", user1)).toBe(account);
  });

  test("when the account is unknown throws 422 on account_id", () => {
    const error = thrownBy(() => checkAccountForNewCustomer(undefined, "99", user1));

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 422, errors: { account_id: ['names no known account ("99")'] } });
  });

  test("when the account belongs to another user throws 403", () => {
    const error = thrownBy(() => checkAccountForNewCustomer(account, "1", user2));

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 403, message: "account 1 belongs to another user" });
  });
});

describe("checkOwnCustomer", () => {
  test("returns the customer of the caller's account", () => {
    expect(checkOwnCustomer(customer, account, user1, unknownCustomer("3"))).toBe(customer);
  });

  test.each([
    ["referenced in a body: 422 on customer_id", unknownCustomerReference("8"), ValidationError, 422],
    ["named in a path: 404", unknownCustomer("8"), NotFoundError, 404],
  ])("when the customer does not exist and was %s", (_situation, missing, type, status) => {
    const error = thrownBy(() => checkOwnCustomer(undefined, undefined, user1, missing));

    expect(error).toBe(missing);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status });
  });

  test("the 422 names the field and the id", () => {
    expect(unknownCustomerReference("8")).toMatchObject({
      errors: { customer_id: ['names no known customer ("8")'] },
    });
  });

  test.each([
    ["belongs to another user", { id: 1, ownedBy: "user2", deletedDate: null }],
    ["is not known", undefined],
  ])("when the customer's account %s throws 403", (_situation, owner) => {
    const error = thrownBy(() => checkOwnCustomer(customer, owner, user1, unknownCustomer("3")));

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 403, message: "customer 3 belongs to an account of another user" });
  });
});

describe("event builders", () => {
  test("customerCreated gives a payload the shared schema accepts, ids as decimal strings", () => {
    const event = customerCreated(customer);

    expect(domainEvent.parse(event)).toEqual(event);
    expect(event).toStrictEqual({
      type: "CustomerCreated",
      payload: { id: "3", account_id: "1", name: "John Adams", created_date: customer.createdDate },
    });
  });

  test("invoiceCreated gives a payload the shared schema accepts, cents as an integer", () => {
    const event = invoiceCreated(invoice(7, 2550));

    expect(domainEvent.parse(event)).toEqual(event);
    expect(event).toStrictEqual({
      type: "InvoiceCreated",
      payload: {
        id: "7",
        customer_id: "3",
        purchase_price_cents: 2550,
        purchase_date: "2019-01-06",
        created_date: "2026-11-24T10:00:01.000Z",
        currency: "USD",
      },
    });
  });
});

describe("views", () => {
  test("customerView writes ids as strings", () => {
    expect(customerView(customer)).toStrictEqual({
      id: "3",
      account_id: "1",
      name: "John Adams",
      created_date: customer.createdDate,
    });
  });

  test("customerWithInvoicesView lists the invoices and sums their cents", () => {
    const view = customerWithInvoicesView(customer, [invoice(1, 10000), invoice(2, 2550)]);

    expect(view.invoices.map((item) => item.id)).toEqual(["1", "2"]);
    expect(view.invoices[0]).toStrictEqual({
      id: "1",
      customer_id: "3",
      purchase_date: "2019-01-06",
      purchase_price_cents: 10000,
      currency: "USD",
      created_date: "2026-11-24T10:00:01.000Z",
    });
    expect(view.total_revenue_cents).toBe(12550);
  });

  test("customerWithInvoicesView of a customer without invoices totals zero", () => {
    expect(customerWithInvoicesView(customer, [])).toMatchObject({ invoices: [], total_revenue_cents: 0 });
  });
});

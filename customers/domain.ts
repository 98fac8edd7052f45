import type {
  CustomerCreated,
  CustomerDeleted,
  CustomerUpdated,
  InvoiceCreated,
  InvoiceDeleted,
} from "../shared/events/schemas";
import type { Caller } from "../shared/http/auth";
import { AuthError, type HttpError, NotFoundError, ValidationError } from "../shared/http/errors";
import type { CustomerView, CustomerWithInvoicesView, InvoiceView } from "./schemas";

type Account = { id: number; ownedBy: string; deletedDate: string | null };
type Customer = { id: number; accountId: number; name: string; createdDate: string };
type Invoice = {
  id: number;
  customerId: number;
  purchaseDate: string;
  purchasePriceCents: number;
  currency: string;
  createdDate: string;
};

/** A customer may be added only to an account that exists and belongs to the caller. */
export function checkAccountForNewCustomer(
  account: Account | undefined,
  accountId: string,
  caller: Caller,
): Account {
  if (!account) throw ValidationError.field("account_id", `names no known account ("${accountId}")`);
  if (account.deletedDate)
    throw ValidationError.field("account_id", `names a deleted account ("${accountId}")`);
  if (account.ownedBy !== caller.username) {
    throw new AuthError(403, `account ${accountId} belongs to another user`);
  }
  return account;
}

/**
 * A customer the caller may use: it exists (else `missing` is thrown: 422 when the body referenced it,
 * 404 when the path did) and its account is the caller's (else 403).
 */
export function checkOwnCustomer(
  customer: Customer | undefined,
  account: Account | undefined,
  caller: Caller,
  /** The error for a missing customer; a function makes it only when needed (an error costs a stack trace). */
  missing: HttpError | (() => HttpError),
): Customer {
  if (!customer) throw typeof missing === "function" ? missing() : missing;
  if (account?.ownedBy !== caller.username) {
    throw new AuthError(403, `customer ${customer.id} belongs to an account of another user`);
  }
  return customer;
}

/** The error for a customer id in a request body that names no customer. */
export function unknownCustomerReference(customerId: string): HttpError {
  return ValidationError.field("customer_id", `names no known customer ("${customerId}")`);
}

/** The error for a customer id in a path that names no customer. */
export function unknownCustomer(customerId: string): HttpError {
  return new NotFoundError(`no customer with id "${customerId}"`);
}

/** An account the caller may list: 404 when unknown or deleted, 403 when another user's. */
export function checkOwnAccount(account: Account | undefined, accountId: string, caller: Caller): Account {
  if (!account || account.deletedDate) throw new NotFoundError(`no account with id "${accountId}"`);
  if (account.ownedBy !== caller.username)
    throw new AuthError(403, `account ${accountId} belongs to another user`);
  return account;
}

/** The error for an invoice id in a path that names no invoice. */
export function unknownInvoice(invoiceId: string): HttpError {
  return new NotFoundError(`no invoice with id "${invoiceId}"`);
}

export function customerUpdated(customer: Customer, at: Date): CustomerUpdated {
  return {
    type: "CustomerUpdated",
    payload: {
      id: String(customer.id),
      account_id: String(customer.accountId),
      name: customer.name,
      updated_date: at.toISOString(),
    },
  };
}

export function customerDeleted(customer: Customer, at: Date): CustomerDeleted {
  return {
    type: "CustomerDeleted",
    payload: {
      id: String(customer.id),
      account_id: String(customer.accountId),
      deleted_date: at.toISOString(),
    },
  };
}

export function invoiceDeleted(invoice: Invoice, at: Date): InvoiceDeleted {
  return {
    type: "InvoiceDeleted",
    payload: {
      id: String(invoice.id),
      customer_id: String(invoice.customerId),
      purchase_price_cents: invoice.purchasePriceCents,
      deleted_date: at.toISOString(),
    },
  };
}

export function customerCreated(customer: Customer): CustomerCreated {
  const { id, accountId, name, createdDate } = customer;
  return {
    type: "CustomerCreated",
    payload: { id: String(id), account_id: String(accountId), name, created_date: createdDate },
  };
}

export function invoiceCreated(invoice: Invoice): InvoiceCreated {
  return {
    type: "InvoiceCreated",
    payload: {
      id: String(invoice.id),
      customer_id: String(invoice.customerId),
      purchase_price_cents: invoice.purchasePriceCents,
      purchase_date: invoice.purchaseDate,
      created_date: invoice.createdDate,
      // The column only ever holds a currency the schema accepted; appendToOutbox parses it again.
      currency: invoice.currency as InvoiceCreated["payload"]["currency"],
    },
  };
}

export function customerView(customer: Customer): CustomerView {
  return {
    id: String(customer.id),
    account_id: String(customer.accountId),
    name: customer.name,
    created_date: customer.createdDate,
  };
}

export function invoiceView(invoice: Invoice): InvoiceView {
  return {
    id: String(invoice.id),
    customer_id: String(invoice.customerId),
    purchase_date: invoice.purchaseDate,
    purchase_price_cents: invoice.purchasePriceCents,
    currency: invoice.currency,
    created_date: invoice.createdDate,
  };
}

export function customerWithInvoicesView(customer: Customer, invoices: Invoice[]): CustomerWithInvoicesView {
  return {
    ...customerView(customer),
    invoices: invoices.map(invoiceView),
    total_revenue_cents: invoices.reduce((sum, invoice) => sum + invoice.purchasePriceCents, 0),
  };
}

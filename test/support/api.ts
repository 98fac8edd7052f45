/** A small HTTP client for the services, returning status and parsed body. */
export type Reply<T = Record<string, unknown>> = { status: number; body: T; headers: Headers };

export async function request<T = Record<string, unknown>>(
  method: string,
  url: string,
  options: { token?: string; json?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] ??= "application/json";
  }
  return replyOf<T>(await fetch(url, { method, headers, body }));
}

/** A response as a Reply: its body parsed as JSON where it is JSON, else its text. */
export async function replyOf<T = Record<string, unknown>>(response: Response): Promise<Reply<T>> {
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export async function login(accountsUrl: string, username: string, password: string): Promise<string> {
  const reply = await request<{ token: string }>("POST", `${accountsUrl}/auth/login`, {
    json: { username, password },
  });
  if (reply.status !== 200)
    throw new Error(`login as ${username} failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.token;
}

export type AccountView = {
  account: { id: number; name: string; description: string; owned_by: string; created_date: string };
  customers: { customer_id: string; name: string; total_revenue_cents: number }[];
  total_revenue_cents: number;
};

/** GET /accounts as `token`'s user: the views of their accounts. */
export async function accountViews(accountsUrl: string, token: string): Promise<AccountView[]> {
  return (await request<AccountView[]>("GET", `${accountsUrl}/accounts`, { token })).body;
}

/** POST /customers as `token`'s user: the new customer's id (it throws unless the answer is 201). */
export async function createCustomer(customersUrl: string, token: string, name: string, accountId = "1") {
  const reply = await request("POST", `${customersUrl}/customers`, {
    token,
    json: { name, account_id: accountId },
  });
  if (reply.status !== 201)
    throw new Error(`creating customer ${name} got ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body.id as string;
}

/** POST /invoices for `customerId` as `token`'s user: the reply. */
export function postInvoice(customersUrl: string, token: string, customerId: string, cents: number) {
  return request("POST", `${customersUrl}/invoices`, {
    token,
    json: { customer_id: customerId, purchase_date: "2026-11-24", purchase_price_cents: cents },
  });
}

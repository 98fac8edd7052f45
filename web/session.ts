// The signed-in user's tokens (kept in this tab's sessionStorage, never in a URL) and requests made with them.

const KEY = "streamledger.token";

export type Tokens = { token: string; refresh_token: string };
export type Reply = { ok: boolean; status: number; body: unknown };

export type Session = ReturnType<typeof createSession>;

const UNREACHABLE: Reply = {
  ok: false,
  status: 0,
  body: { detail: "the service cannot be reached; try again in a moment" },
};

const postJson = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** A response with its body parsed as JSON, or kept as text when it is not JSON. */
async function replyOf(response: Response): Promise<Reply> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { ok: response.ok, status: response.status, body };
}

/** `ended` is called when the session can no longer be renewed (a 401 the refresh token cannot fix). */
export function createSession(storage: Storage, ended: (message: string) => void) {
  let token = storage.getItem(KEY);
  let refreshToken = storage.getItem(`${KEY}.refresh`);
  let renewing: Promise<boolean> | undefined;

  const keep = (tokens: Tokens) => {
    token = tokens.token;
    refreshToken = tokens.refresh_token;
    storage.setItem(KEY, tokens.token);
    storage.setItem(`${KEY}.refresh`, tokens.refresh_token);
  };

  const session = {
    token: () => token,
    username: () => storage.getItem(`${KEY}.user`) ?? "",

    start(tokens: Tokens, username: string) {
      keep(tokens);
      storage.setItem(`${KEY}.user`, username);
    },

    /** Forgets the tokens, and ends the session on the server so the refresh token cannot be used again. */
    clear() {
      if (refreshToken) void postJson("/auth/logout", { refresh_token: refreshToken }).catch(() => {});
      token = null;
      refreshToken = null;
      storage.removeItem(KEY);
      storage.removeItem(`${KEY}.refresh`);
    },

    /** Trades the refresh token for a new pair (once, however many requests found the token expired). */
    renew(): Promise<boolean> {
      const spent = refreshToken;
      renewing ??= (async () => {
        if (!spent) return false;
        try {
          const response = await postJson("/auth/refresh", { refresh_token: spent });
          if (!response.ok) return false;
          keep((await response.json()) as Tokens);
          return true;
        } catch {
          return false;
        } finally {
          renewing = undefined;
        }
      })();
      return renewing;
    },

    /** A request with the access token; an expired one is renewed once and the request sent again. */
    async call(url: string, init: RequestInit = {}, retried = false): Promise<Reply> {
      const headers = new Headers(init.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      if (init.body) headers.set("content-type", "application/json");
      let response: Response;
      try {
        response = await fetch(url, { ...init, headers });
      } catch {
        return UNREACHABLE;
      }
      const reply = await replyOf(response);
      if (reply.status === 401 && token && !url.startsWith("/auth/")) {
        if (!retried && (await session.renew())) return session.call(url, init, true);
        ended("Your session has ended; log in again.");
      }
      return reply;
    },
  };
  return session;
}

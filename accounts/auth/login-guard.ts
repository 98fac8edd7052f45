import { isIPv6 } from "node:net";
import { TooManyRequestsError } from "../../shared/http/errors";
import { createRateLimiter, type RateLimiter } from "./rate-limit";

export type LoginLimits = { windowSeconds: number; maxFailuresPerUser: number; maxAttemptsPerClient: number };

/**
 * Login throttling: a username is locked for the rest of the window after `maxFailuresPerUser` wrong
 * passwords (guessing one account), a client address after `maxAttemptsPerClient` attempts of any kind
 * (spraying many accounts). Checked before the password is, so a refused attempt costs no hashing.
 * Refreshes are limited per client address the same way (each one writes a row).
 */
export function createLoginGuard(limits: LoginLimits) {
  const windowMs = limits.windowSeconds * 1000;
  const failuresPerUser = createRateLimiter({ limit: limits.maxFailuresPerUser, windowMs });
  const attemptsPerClient = createRateLimiter({ limit: limits.maxAttemptsPerClient, windowMs });
  const refreshesPerClient = createRateLimiter({ limit: limits.maxAttemptsPerClient, windowMs });
  return {
    /**
     * Throws 429 when the client or the username is over its limit; else counts the attempt against both
     * before the password is checked, so guesses sent concurrently cannot all slip under the limit.
     */
    admit(username: string, client: string, now: number): void {
      const clientKey = addressKey(client);
      refuseOverLimit(attemptsPerClient, clientKey, now, "too many login attempts from this address");
      refuseOverLimit(failuresPerUser, username, now, "too many failed logins for this user");
      attemptsPerClient.hit(clientKey, now);
      failuresPerUser.hit(username, now);
    },
    /** A right password: the username's count starts again (the attempt was not a failure). */
    succeeded(username: string): void {
      failuresPerUser.reset(username);
    },
    admitRefresh(client: string, now: number): void {
      const clientKey = addressKey(client);
      refuseOverLimit(refreshesPerClient, clientKey, now, "too many token refreshes from this address");
      refreshesPerClient.hit(clientKey, now);
    },
  };
}

export type LoginGuard = ReturnType<typeof createLoginGuard>;

/** 429 with the limiter's Retry-After when `key` is over its limit; counts nothing. */
function refuseOverLimit(limiter: RateLimiter, key: string, now: number, detail: string): void {
  const decision = limiter.check(key, now);
  if (!decision.allowed) throw new TooManyRequestsError(detail, decision.retryAfterSeconds);
}

/**
 * The key an address is limited under: an IPv4 address as it is (IPv4-mapped IPv6 included), an IPv6
 * address by its /64, since one client usually holds a whole /64 and could rotate through it.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head = "", tail = ""] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  const missing = address.includes("::") ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

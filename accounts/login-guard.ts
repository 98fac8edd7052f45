import { TooManyRequestsError } from "../shared/errors";
import { createRateLimiter } from "../shared/rate-limit";

export type LoginLimits = { windowSeconds: number; maxFailuresPerUser: number; maxAttemptsPerClient: number };

/**
 * Login throttling: a username is locked for the rest of the window after `maxFailuresPerUser` wrong
 * passwords (guessing one account), a client address after `maxAttemptsPerClient` attempts of any kind
 * (spraying many accounts). Checked before the password is, so a refused attempt costs no hashing.
 */
export function createLoginGuard(limits: LoginLimits) {
  const windowMs = limits.windowSeconds * 1000;
  const failuresPerUser = createRateLimiter({ limit: limits.maxFailuresPerUser, windowMs });
  const attemptsPerClient = createRateLimiter({ limit: limits.maxAttemptsPerClient, windowMs });
  return {
    admit(username: string, client: string, now: number): void {
      const byClient = attemptsPerClient.check(client, now);
      if (!byClient.allowed) {
        throw new TooManyRequestsError(
          "too many login attempts from this address",
          byClient.retryAfterSeconds,
        );
      }
      const byUser = failuresPerUser.check(username, now);
      if (!byUser.allowed) {
        throw new TooManyRequestsError("too many failed logins for this user", byUser.retryAfterSeconds);
      }
      attemptsPerClient.hit(client, now);
    },
    failed(username: string, now: number): void {
      failuresPerUser.hit(username, now);
    },
    succeeded(username: string): void {
      failuresPerUser.reset(username);
    },
  };
}

export type LoginGuard = ReturnType<typeof createLoginGuard>;

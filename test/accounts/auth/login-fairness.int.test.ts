import { describe, expect, test } from "bun:test";
import { createHashQueue } from "../../../accounts/auth/hash-queue";
import { createPasswordChecks, runtimeHasher } from "../../../accounts/auth/password";
import { useAccountsApp } from "../../support/accounts-app";
import { expectProblem } from "../../support/problems";

// The runtime's real hasher, each verification held until the test lets it finish, through the real hash
// queue (one at a time, two waiting per address): the order logins are checked in is the test's to see.
const hasher = runtimeHasher();
const checking: { password: string; finish: () => void }[] = [];
const checked: string[] = [];
const heldHasher = {
  hash: hasher.hash,
  async verify(password: string, hash: string) {
    checked.push(password);
    await new Promise<void>((finish) => checking.push({ password, finish }));
    return hasher.verify(password, hash);
  },
};
const passwords = createPasswordChecks(
  heldHasher,
  createHashQueue({ concurrency: 1, maxWaitingPerClient: 2, retryAfterSeconds: 1 }),
);

const app = useAccountsApp({ clientIpHeader: "x-forwarded-for", passwords });

const login = (client: string, username: string, password: string) =>
  app.call("POST", "/auth/login", {
    json: { username, password },
    headers: { "x-forwarded-for": client },
  });

/** Resolves once `count` password checks have started. */
async function checksStarted(count: number): Promise<void> {
  while (checked.length < count) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("logins during a flood from one address", () => {
  test("the flood's extra logins get 429 with Retry-After at once; another address is checked in its turn", async () => {
    const flood = ["f1", "f2", "f3", "f4", "f5"].map((guess) => login("203.0.113.1", "user1", guess));
    // f1 is being checked, f2 and f3 wait; f4 and f5 are refused without waiting for anything.
    await checksStarted(1);
    for (const refused of await Promise.all(flood.slice(3))) {
      expectProblem(refused, 429, [], "/auth/login");
      expect(refused.headers.get("retry-after")).toBe("1");
    }
    const quiet = login("198.51.100.7", "user2", "password2");
    while (checking.length > 0 || checked.length < 4) {
      checking.shift()?.finish();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // The quiet address had its turn after the flood's next one; first come first served would have
    // checked all of the flood's first (f3 before password2), however many it had sent.
    expect(checked).toEqual(["f1", "f2", "password2", "f3"]);
    expect((await quiet).status).toBe(200);
    expect((await Promise.all(flood.slice(0, 3))).map((reply) => reply.status)).toEqual([401, 401, 401]);
  });
});

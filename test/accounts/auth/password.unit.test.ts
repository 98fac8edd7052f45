import { describe, expect, test } from "bun:test";
import { hashPassword, parsePhc, portableHasher, verifyPassword } from "../../../accounts/auth/password";

describe("password hashes (argon2id, PHC strings)", () => {
  test("a hash verifies its password and no other", async () => {
    const hash = await hashPassword("password1");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword("password1", hash)).toBe(true);
    expect(await verifyPassword("password2", hash)).toBe(false);
  });

  test("the portable (WebAssembly) hasher and Bun's native one read each other's hashes", async () => {
    const portable = await portableHasher.hash("s3cret pass");
    const native = await Bun.password.hash("s3cret pass", { algorithm: "argon2id" });
    expect(await Bun.password.verify("s3cret pass", portable)).toBe(true);
    expect(await portableHasher.verify("s3cret pass", native)).toBe(true);
    expect(await portableHasher.verify("s3cret pas", native)).toBe(false);
  });

  test("a hash made with Bun's default 64 MiB (earlier versions stored those) still verifies", async () => {
    const earlier = await Bun.password.hash("old password", { algorithm: "argon2id" });
    expect(earlier).toMatch(/^\$argon2id\$v=19\$m=65536,t=2,p=1\$/);
    expect(await verifyPassword("old password", earlier)).toBe(true);
    expect(await verifyPassword("old passwore", earlier)).toBe(false);
  });

  test("two hashes of one password differ (each has its own salt)", async () => {
    expect(await portableHasher.hash("same")).not.toBe(await portableHasher.hash("same"));
  });

  test("an unknown user (no hash) is refused", async () => {
    expect(await verifyPassword("decoy password that matches no one", undefined)).toBe(false);
  });

  test.each([
    ["bcrypt", "$2b$10$abcdefghijklmnopqrstuuJxTo9Ig0sS0n3PL6kO9gq4mKE0Wm6W"],
    ["argon2i", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"],
    ["an old argon2 version", "$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"],
    ["too much memory", "$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"],
    ["a truncated string", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ"],
    ["plain text", "password1"],
  ])("a stored hash that is %s is never accepted", async (_kind, stored) => {
    expect(parsePhc(stored)).toBeNull();
    expect(await verifyPassword("password1", stored)).toBe(false);
  });
});

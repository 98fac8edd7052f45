import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, jwtVerify } from "jose";
import { describeKeyFile, KeyRotationRefused, openKeyRing, rotateKeyFile } from "../../../accounts/auth/keys";
import { issueToken } from "../../../accounts/auth/tokens";
import { cleanupAfterEach } from "../../support/lifecycle";
import { tempDir } from "../../support/resources";

const dirs = cleanupAfterEach();

function keyFileInTempDir() {
  const dir = tempDir("streamledger-keys-");
  dirs.push(dir.remove);
  return { dir: dir.path, keyFile: join(dir.path, "keys", "accounts-signing-keys.json") };
}

describe("openKeyRing", () => {
  test("creates an owner-only key file with one key on first use", async () => {
    const { keyFile } = keyFileInTempDir();
    const ring = await openKeyRing({ keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(keyFile, "..")).mode & 0o777).toBe(0o700);
    const published = await ring.published();
    expect(published.map((key) => key.kid)).toEqual([(await ring.current()).kid]);
    expect(published.filter((key) => "d" in key)).toEqual([]);
  });

  test("picks up a rotation made by another process without being reopened", async () => {
    const { keyFile } = keyFileInTempDir();
    const ring = await openKeyRing({ keyFile });
    const before = await ring.current();
    const token = await issueToken(before, "user1", new Date(), 600);
    await rotateKeyFile(keyFile, new Date(), 900);
    const after = await ring.current();
    expect(after.kid).not.toBe(before.kid);
    expect((await ring.published()).map((key) => key.kid)).toEqual([after.kid, before.kid]);
    // The old key's token still verifies through the ring, found by its kid.
    expect((await jwtVerify(token, ring.verificationKey)).payload.sub).toBe("user1");
  });

  test("adopts the single key of the earlier key file, so tokens issued before an upgrade stay valid", async () => {
    const { dir, keyFile } = keyFileInTempDir();
    const legacyKeyFile = join(dir, "accounts-signing-key.jwk.json");
    const pair = await generateKeyPair("ES256", { extractable: true });
    writeFileSync(legacyKeyFile, JSON.stringify(await exportJWK(pair.privateKey)));
    const legacyJwk = readFileSync(legacyKeyFile, "utf8");
    const ring = await openKeyRing({ keyFile, legacyKeyFile });
    // Adopted and removed, so deleting the new file can never bring the old key back.
    expect(existsSync(legacyKeyFile)).toBe(false);
    const legacy = await openKeyRing({ keyFile: join(dir, "other.json"), privateJwk: legacyJwk });
    expect((await ring.current()).kid).toBe((await legacy.current()).kid);
  });

  test("from JWT_PRIVATE_KEY and JWT_PREVIOUS_KEY: both published, the first signs", async () => {
    const { keyFile } = keyFileInTempDir();
    const [a, b] = await Promise.all([
      generateKeyPair("ES256", { extractable: true }),
      generateKeyPair("ES256", { extractable: true }),
    ]);
    const ring = await openKeyRing({
      keyFile,
      privateJwk: JSON.stringify(await exportJWK(a.privateKey)),
      previousJwk: JSON.stringify(await exportJWK(b.privateKey)),
    });
    expect((await ring.published()).length).toBe(2);
    expect(() => statSync(keyFile)).toThrow();
  });

  test("refuses a key that is not a private P-256 JWK, naming where it came from", async () => {
    const { keyFile } = keyFileInTempDir();
    await expect(openKeyRing({ keyFile, privateJwk: '{"kty":"RSA"}' })).rejects.toThrow("JWT_PRIVATE_KEY");
    writeFileSync(keyFile.replace("/keys/", "/"), "not json");
    await expect(openKeyRing({ keyFile: keyFile.replace("/keys/", "/") })).rejects.toThrow(
      "is not a JSON key file",
    );
  });
});

describe("rotateKeyFile", () => {
  test("keeps at most the previous key, and refuses to drop it while its tokens may live, unless forced", async () => {
    const { keyFile } = keyFileInTempDir();
    await openKeyRing({ keyFile });
    const first = (await describeKeyFile(keyFile))[0]?.kid;
    const start = new Date();
    const second = await rotateKeyFile(keyFile, start, 900);
    expect(second.previous).toBe(first);
    await expect(rotateKeyFile(keyFile, new Date(start.getTime() + 929_000), 900)).rejects.toBeInstanceOf(
      KeyRotationRefused,
    );
    const third = await rotateKeyFile(keyFile, new Date(start.getTime() + 931_000), 900);
    expect(third.previous).toBe(second.current);
    const forced = await rotateKeyFile(keyFile, new Date(start.getTime() + 932_000), 900, true);
    expect((await describeKeyFile(keyFile)).map((key) => key.kid)).toEqual([forced.current, third.current]);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });
});

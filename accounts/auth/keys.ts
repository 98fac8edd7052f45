import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import {
  calculateJwkThumbprint,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
} from "jose";
import { CLOCK_TOLERANCE_SECONDS, TOKEN_ALGORITHM } from "../../shared/http/auth";

export type SigningKey = { kid: string; privateKey: CryptoKey; publicKey: CryptoKey; publicJwk: JWK };

/**
 * The token keys: `current` signs new tokens, `previous` (the key before the last rotation) still
 * verifies the tokens it signed until they expire. Both are published in the JWKS.
 */
export type KeyRing = {
  current(): Promise<SigningKey>;
  published(): Promise<JWK[]>;
  /** For jose's jwtVerify: the ring's key named by the token's `kid`. */
  verificationKey: JWTVerifyGetKey;
};

/** Where accounts keeps its signing keys under DATA_DIR (unless JWT_PRIVATE_KEY is set). */
export const signingKeyFileOf = (dataDir: string) => join(dataDir, "accounts-signing-keys.json");

/** The key file: newest first, at most two keys, each with the time it started signing. */
type KeyFile = { keys: { jwk: JWK; activated_at: string }[] };

type Loaded = { keys: SigningKey[]; version: string };

/**
 * The key ring from `privateJwk` (JWT_PRIVATE_KEY, with JWT_PREVIOUS_KEY as `previousJwk`) when given,
 * else from `keyFile`, created with a new P-256 key (owner-only) on first start. A key file changed by
 * `ops keys rotate` is picked up on the next token or JWKS request, so rotation needs no restart.
 */
export async function openKeyRing(source: {
  privateJwk?: string;
  previousJwk?: string;
  keyFile: string;
  /** The single-key file of earlier versions: its key becomes the first key of `keyFile`. */
  legacyKeyFile?: string;
}): Promise<KeyRing> {
  let loaded: Loaded;
  let reading: Promise<Loaded> | undefined;
  const fromEnvironment = source.privateJwk !== undefined;
  if (fromEnvironment) {
    const jwks = [parsePrivateJwk(source.privateJwk ?? "", "JWT_PRIVATE_KEY")];
    if (source.previousJwk) jwks.push(parsePrivateJwk(source.previousJwk, "JWT_PREVIOUS_KEY"));
    loaded = { keys: await Promise.all(jwks.map(signingKeyOf)), version: "environment" };
  } else {
    if (!existsSync(source.keyFile)) {
      const legacy = source.legacyKeyFile;
      const first =
        legacy && existsSync(legacy)
          ? {
              keys: [
                {
                  jwk: parsePrivateJwk(readFileSync(legacy, "utf8"), legacy),
                  activated_at: new Date().toISOString(),
                },
              ],
            }
          : await newKeyFile([], new Date());
      await writeKeyFile(source.keyFile, first);
      // Adopted: left behind, it would come back if the key file were deleted (say, after a leak).
      if (legacy && existsSync(legacy)) unlinkSync(legacy);
    }
    loaded = await loadKeyFile(source.keyFile);
  }

  const fresh = async (): Promise<SigningKey[]> => {
    if (fromEnvironment || versionOf(source.keyFile) === loaded.version) return loaded.keys;
    reading ??= loadKeyFile(source.keyFile).finally(() => {
      reading = undefined;
    });
    loaded = await reading;
    return loaded.keys;
  };

  return {
    current: async () => (await fresh())[0] as SigningKey,
    published: async () => (await fresh()).map((key) => key.publicJwk),
    verificationKey: async (header) => {
      const key = (await fresh()).find((candidate) => candidate.kid === header.kid);
      if (!key) throw new errors.JWKSNoMatchingKey();
      return key.publicKey;
    },
  };
}

/**
 * Makes a new current key; the current one becomes the previous, the previous one is dropped (tokens it
 * signed stop verifying). Refused while the current key is younger than `minAgeSeconds` (the access token
 * lifetime), since dropping the previous key then would cut off tokens still valid, unless `force`.
 */
export async function rotateKeyFile(
  keyFile: string,
  now: Date,
  minAgeSeconds: number,
  force = false,
): Promise<{ current: string; previous: string | undefined }> {
  const file = existsSync(keyFile) ? readKeyFile(keyFile) : { keys: [] };
  const active = file.keys[0];
  const age = active ? (now.getTime() - Date.parse(active.activated_at)) / 1000 : Number.POSITIVE_INFINITY;
  // Verifiers accept a token up to their clock tolerance past its `exp`.
  if (file.keys.length > 1 && age < minAgeSeconds + CLOCK_TOLERANCE_SECONDS && !force) {
    throw new KeyRotationRefused(
      `the current key started signing ${Math.floor(age)} s ago; tokens signed by the previous key may live ` +
        `${minAgeSeconds} s (TOKEN_TTL_SECONDS), so rotating now would cut them off (use --force to do it anyway)`,
    );
  }
  const next = await newKeyFile(active ? [active] : [], now);
  await writeKeyFile(keyFile, next);
  const kids = await Promise.all(next.keys.map((key) => thumbprintOf(key.jwk)));
  return { current: kids[0] as string, previous: kids[1] };
}

/** The keys in a key file, newest first, as `ops keys list` shows them. */
export async function describeKeyFile(keyFile: string): Promise<{ kid: string; activatedAt: string }[]> {
  const file = readKeyFile(keyFile);
  return Promise.all(
    file.keys.map(async (key) => ({ kid: await thumbprintOf(key.jwk), activatedAt: key.activated_at })),
  );
}

export class KeyRotationRefused extends Error {}

async function newKeyFile(kept: KeyFile["keys"], now: Date): Promise<KeyFile> {
  const pair = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(pair.privateKey);
  return { keys: [{ jwk, activated_at: now.toISOString() }, ...kept] };
}

async function writeKeyFile(keyFile: string, file: KeyFile): Promise<void> {
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  // Written aside and renamed: a running service never reads half a file.
  const temporary = `${keyFile}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(file, null, 2), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, keyFile);
}

async function loadKeyFile(keyFile: string): Promise<Loaded> {
  const version = versionOf(keyFile);
  const file = readKeyFile(keyFile);
  return { keys: await Promise.all(file.keys.map((key) => signingKeyOf(key.jwk))), version };
}

function readKeyFile(keyFile: string): KeyFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(keyFile, "utf8"));
  } catch {
    throw new Error(`${keyFile} is not a JSON key file`);
  }
  const keys = (parsed as Partial<KeyFile>)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 2) {
    throw new Error(`${keyFile} must hold {"keys": [...]} with one or two keys`);
  }
  for (const [index, key] of keys.entries()) {
    checkPrivateJwk(key?.jwk, `${keyFile} key ${index}`);
    if (typeof key.activated_at !== "string" || Number.isNaN(Date.parse(key.activated_at))) {
      throw new Error(`${keyFile} key ${index} has no valid activated_at`);
    }
  }
  return { keys };
}

function versionOf(keyFile: string): string {
  const stat = statSync(keyFile);
  return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
}

async function signingKeyOf(jwk: JWK): Promise<SigningKey> {
  const publicPart = publicPartOf(jwk);
  const kid = await calculateJwkThumbprint(publicPart);
  const privateKey = (await importJWK({ ...jwk, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM)) as CryptoKey;
  const publicKey = (await importJWK({ ...publicPart, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM)) as CryptoKey;
  return { kid, privateKey, publicKey, publicJwk: { ...publicPart, kid, alg: TOKEN_ALGORITHM, use: "sig" } };
}

function publicPartOf(jwk: JWK): JWK {
  const { d: _private, ...publicPart } = jwk;
  return publicPart;
}

function thumbprintOf(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(publicPartOf(jwk));
}

function parsePrivateJwk(text: string, origin: string): JWK {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new Error(`${origin} is not a JSON Web Key`);
  }
  return checkPrivateJwk(jwk, origin);
}

function checkPrivateJwk(jwk: unknown, origin: string): JWK {
  const key = jwk as JWK;
  if (key?.kty !== "EC" || key.crv !== "P-256" || typeof key.d !== "string") {
    throw new Error(`${origin} must be a private EC P-256 JSON Web Key (kty "EC", crv "P-256", with "d")`);
  }
  return key;
}

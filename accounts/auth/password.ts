import { randomBytes, timingSafeEqual } from "node:crypto";
import { argon2id } from "hash-wasm";
import { createHashQueue, type HashQueue, type HashQueueLimits } from "./hash-queue";

/**
 * Password hashes: argon2id in the PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`),
 * the format Bun.password writes, so a hash made under any runtime verifies under every other. Bun hashes
 * natively (off the event loop); Node.js and Deno use hash-wasm's argon2id.
 */
export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
};

// OWASP's recommended argon2id configuration (19 MiB, 2 passes, 1 lane). Bun's default, 64 MiB, held up to
// 128 MiB for two concurrent hashes, most of a service's 150 MiB budget. Hashes stored with other
// parameters (the 64 MiB ones of earlier versions) still verify: each carries its own.
const MEMORY_KIB = 19456;
const ITERATIONS = 2;
const PARALLELISM = 1;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
// A stored hash asking for more than this is refused rather than computed (it would exhaust memory).
const MAX_MEMORY_KIB = 1 << 20;

type Phc = { memory: number; iterations: number; parallelism: number; salt: Uint8Array; hash: Uint8Array };

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** The parts of an argon2id PHC string, or null when it is not one this module can verify. */
export function parsePhc(encoded: string): Phc | null {
  const match = PHC.exec(encoded);
  if (!match) return null;
  const [memory, iterations, parallelism] = [match[1], match[2], match[3]].map(Number) as [
    number,
    number,
    number,
  ];
  const salt = fromBase64(match[4] ?? "");
  const hash = fromBase64(match[5] ?? "");
  if (memory < 8 * parallelism || memory > MAX_MEMORY_KIB || iterations < 1 || parallelism < 1) return null;
  if (salt.length < 8 || hash.length < 4) return null;
  return { memory, iterations, parallelism, salt, hash };
}

function fromBase64(unpadded: string): Uint8Array {
  return new Uint8Array(Buffer.from(unpadded, "base64"));
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

function derive(password: string, phc: Omit<Phc, "hash">, hashLength: number): Promise<Uint8Array> {
  return argon2id({
    password,
    salt: phc.salt,
    memorySize: phc.memory,
    iterations: phc.iterations,
    parallelism: phc.parallelism,
    hashLength,
    outputType: "binary",
  });
}

/** argon2id through hash-wasm (WebAssembly): runs on Bun, Node.js and Deno alike. */
export const portableHasher: PasswordHasher = {
  async hash(password) {
    const params = { memory: MEMORY_KIB, iterations: ITERATIONS, parallelism: PARALLELISM };
    const salt = new Uint8Array(randomBytes(SALT_BYTES));
    const hash = await derive(password, { ...params, salt }, HASH_BYTES);
    return `$argon2id$v=19$m=${MEMORY_KIB},t=${ITERATIONS},p=${PARALLELISM}$${toBase64(salt)}$${toBase64(hash)}`;
  },
  async verify(password, encoded) {
    const phc = parsePhc(encoded);
    if (!phc) return false;
    const computed = await derive(password, phc, phc.hash.length);
    return timingSafeEqual(computed, phc.hash);
  },
};

/** Bun's native argon2id (the same PHC strings), used under Bun. */
function bunHasher(bun: typeof Bun): PasswordHasher {
  return {
    hash: (password) =>
      bun.password.hash(password, {
        algorithm: "argon2id",
        memoryCost: MEMORY_KIB,
        timeCost: ITERATIONS,
      }),
    // Only strings this module can parse: Bun would also accept bcrypt and other argon2 variants.
    verify: async (password, encoded) =>
      parsePhc(encoded) !== null && (await bun.password.verify(password, encoded, "argon2id")),
  };
}

/** The hasher for this runtime. */
export function runtimeHasher(): PasswordHasher {
  return "Bun" in globalThis ? bunHasher(Bun) : portableHasher;
}

/** Password checks, fair between clients (see createHashQueue), with a decoy hash for unknown users. */
export type PasswordChecks = {
  /** A new hash of `password`, computed in turn like any other. */
  hash(password: string): Promise<string>;
  /**
   * Whether `password` matches `hash`, compared in constant time, computed in `client`'s turn (429 when
   * `client` has too many waiting); with no hash (unknown user) or an unreadable one it still spends a
   * full verification, against a decoy, and answers false.
   */
  verify(password: string, hash: string | undefined, client: string): Promise<boolean>;
  /** Computes the decoy hash now, so the first login of an unknown user costs no more than any other. */
  prepare(): Promise<void>;
};

/** The client the service's own hashes (new users, the decoy) are queued as. */
const THIS_PROCESS = "(this process)";

export function createPasswordChecks(hasher: PasswordHasher, queue: HashQueue): PasswordChecks {
  // Checked against when the user does not exist, so a wrong username costs as long as a wrong password.
  // Made on first need (or by prepare at start), not while the module loads.
  let decoyHash: Promise<string> | undefined;
  const hash = (password: string) => queue.run(THIS_PROCESS, () => hasher.hash(password));
  const decoy = () => {
    decoyHash ??= hash("decoy password that matches no one");
    return decoyHash;
  };
  return {
    hash,
    async verify(password, stored, client) {
      if (stored === undefined || parsePhc(stored) === null) {
        const against = await decoy();
        await queue.run(client, () => hasher.verify(password, against));
        return false;
      }
      return queue.run(client, () => hasher.verify(password, stored));
    },
    prepare: async () => void (await decoy()),
  };
}

// Each argon2id computation holds its memory cost (19 MiB, more for older hashes): at most two at once, so
// a burst of logins cannot run the process out of memory. A client may have 8 more waiting (a few seconds
// of hashing on a busy machine), enough for the logins of an office behind one address.
export const HASH_QUEUE_LIMITS: HashQueueLimits = {
  concurrency: 2,
  maxWaitingPerClient: 8,
  retryAfterSeconds: 1,
};

/** The process's password checks (one hash queue per process: its memory is what the limit protects). */
export const passwordChecks = createPasswordChecks(runtimeHasher(), createHashQueue(HASH_QUEUE_LIMITS));

export const hashPassword = (password: string): Promise<string> => passwordChecks.hash(password);

export const preparePasswordHashing = (): Promise<void> => passwordChecks.prepare();

/** A password check for a caller that is not a client over HTTP (the ops CLI, the tests). */
export const verifyPassword = (password: string, hash: string | undefined): Promise<boolean> =>
  passwordChecks.verify(password, hash, THIS_PROCESS);

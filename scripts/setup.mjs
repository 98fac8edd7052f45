// The set-up check `npm start` and `npm test` run first (through scripts/run.mjs), on Node.js because
// npm runs them with it and Bun may not be installed yet. It installs what is missing: Debian packages
// through apt-get (as root, or with passwordless sudo; otherwise it prints the one command to run), then
// the npm dependencies (npm install, whose postinstall places Bun's and Deno's binaries and builds
// better-sqlite3). With everything present it only looks at files: a few milliseconds.
//
//   node scripts/setup.mjs start|test            check, and install what is missing
//   node scripts/setup.mjs --system start|test   only the Debian part (the command printed for root)
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(import.meta.url);
const ROOT = join(dirname(HERE), "..");
export const PURPOSES = ["start", "test"];

// Debian packages by what each purpose needs: running the system needs Redis, and the compilers that
// build better-sqlite3 at npm install; the tests add certificates (openssl), the browser, the load
// generator and PostgreSQL.
const RUN_PACKAGES = ["redis-server", "python3", "make", "g++"];
const PACKAGES = { start: RUN_PACKAGES, test: [...RUN_PACKAGES, "openssl", "chromium", "wrk", "postgresql"] };

function onPath(command) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

function postgresBinaries() {
  try {
    return readdirSync("/usr/lib/postgresql").some((version) =>
      existsSync(join("/usr/lib/postgresql", version, "bin", "postgres")),
    );
  } catch {
    return false;
  }
}

/** Whether a package's program is there: on PATH, or where the tests look for it. */
function installed(name) {
  if (name === "chromium") return existsSync(process.env.CHROMIUM_PATH || "/usr/bin/chromium");
  if (name === "postgresql") return postgresBinaries();
  return onPath(name);
}

/** Whether a TCP server answers on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** What the system lacks for `purpose`: Debian packages to install, and whether PostgreSQL must be started. */
export async function systemNeeds(purpose) {
  const missing = PACKAGES[purpose].filter((name) => !installed(name));
  // The PostgreSQL tests connect to 127.0.0.1:5432 (Debian's main cluster).
  const startPostgres = purpose === "test" && !(await listening(5432));
  return { missing, startPostgres };
}

function isExecutable(path) {
  try {
    const fd = openSync(path, "r");
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    return head.toString("latin1") === "\x7fELF";
  } catch {
    return false;
  }
}

/** Why the npm dependencies need an `npm install`, or null: every one at package.json's version, built. */
export function npmProblem(root = ROOT) {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const wanted = { ...manifest.dependencies, ...manifest.devDependencies };
  const modules = join(root, "node_modules");
  for (const [name, version] of Object.entries(wanted)) {
    let found;
    try {
      found = JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8")).version;
    } catch {
      return `${name} is not installed`;
    }
    if (found !== version) return `${name} is ${found}, package.json asks for ${version}`;
  }
  // What the postinstall does when npm skipped the packages' own install scripts.
  if (!isExecutable(join(modules, "bun", "bin", "bun.exe"))) return "Bun's binary is not in place";
  if (!isExecutable(join(modules, "deno", "deno"))) return "Deno's binary is not in place";
  if (!existsSync(join(modules, "better-sqlite3", "build", "Release", "better_sqlite3.node"))) {
    return "better-sqlite3 is not built";
  }
  return null;
}

const isRoot = () => process.getuid?.() === 0;

function canSudo() {
  if (!onPath("sudo")) return false;
  try {
    execFileSync("sudo", ["-n", "true"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function run(asRoot, command, args) {
  const [file, argv] = asRoot === "sudo" ? ["sudo", ["-n", command, ...args]] : [command, args];
  execFileSync(file, argv, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** Installs the packages, and starts Debian's PostgreSQL cluster on 5432 as .ci/run did before. */
function installSystem(asRoot, { missing, startPostgres }) {
  if (missing.length > 0) {
    console.error(`setup: installing ${missing.join(", ")} (apt-get)`);
    run(asRoot, "apt-get", ["update", "-qq"]);
    run(asRoot, "apt-get", ["install", "-y", "-qq", ...missing]);
  }
  const fresh = missing.includes("postgresql");
  if (fresh) trustPostgresFromLoopback(asRoot);
  if (startPostgres || fresh) startPostgresCluster(asRoot, fresh);
}

// The PostgreSQL tests connect as user postgres without a password. A cluster the package just created
// asks for one over TCP, so it trusts that user from loopback (the first matching line wins).
function trustPostgresFromLoopback(asRoot) {
  for (const version of readdirSync("/etc/postgresql")) {
    const hba = join("/etc/postgresql", version, "main", "pg_hba.conf");
    if (existsSync(hba)) run(asRoot, "sed", ["-i", "1i host all postgres 127.0.0.1/32 trust", hba]);
  }
}

// Without an init system nothing starts the cluster; one the package already started reloads the line above.
function startPostgresCluster(asRoot, fresh) {
  const clusters = execFileSync("pg_lsclusters", ["--no-header"], { encoding: "utf8" });
  for (const line of clusters.split("\n")) {
    const [version, cluster, port, status] = line.trim().split(/\s+/);
    if (cluster !== "main" || port !== "5432") continue;
    if (status?.startsWith("down")) {
      console.error(`setup: starting PostgreSQL ${version}/main`);
      run(asRoot, "pg_ctlcluster", [version, "main", "start"]);
    } else if (fresh) {
      run(asRoot, "pg_ctlcluster", [version, "main", "reload"]);
    }
  }
}

const quoted = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);

/** The one command that does the system part, for someone who can be root. */
export function rootCommand(purpose) {
  const command = [process.execPath, join(ROOT, "scripts", "setup.mjs"), "--system", purpose].map(quoted);
  return onPath("sudo") ? `sudo ${command.join(" ")}` : `su root -c ${quoted(command.join(" "))}`;
}

function explainRootNeeded(purpose, needs) {
  const what = [
    ...(needs.missing.length > 0 ? [`install ${needs.missing.join(", ")} (apt-get)`] : []),
    ...(needs.startPostgres ? ["start PostgreSQL on 127.0.0.1:5432"] : []),
  ].join(" and ");
  console.error(
    `setup: npm ${purpose} needs to ${what}, which takes root; this user (uid ${process.getuid?.()}) is not root and has no passwordless sudo.\nRun this once, then npm ${purpose} again:\n\n  ${rootCommand(purpose)}\n`,
  );
}

/**
 * Makes the machine ready for `purpose`; resolves true when it is, false when it printed the command
 * someone with root must run first.
 */
export async function ensureSetUp(purpose, { systemOnly = false } = {}) {
  const needs = await systemNeeds(purpose);
  if (needs.missing.length > 0 || needs.startPostgres) {
    const asRoot = isRoot() ? "root" : canSudo() ? "sudo" : null;
    if (asRoot === null) {
      explainRootNeeded(purpose, needs);
      return false;
    }
    if (needs.missing.length > 0 && !onPath("apt-get")) {
      console.error(`setup: no apt-get here: install ${needs.missing.join(", ")} with this system's tools`);
      return false;
    }
    installSystem(asRoot, needs);
  }
  if (systemOnly) return true;
  const problem = npmProblem();
  if (problem !== null) {
    console.error(`setup: ${problem}; running npm install`);
    // The npm that runs this script (npm start), else npm from PATH.
    const npm = process.env.npm_execpath;
    const [file, args] = npm && /\.[cm]?js$/.test(npm) ? [process.execPath, [npm]] : ["npm", []];
    execFileSync(file, [...args, "install", "--no-audit", "--no-fund"], { cwd: ROOT, stdio: "inherit" });
    const still = npmProblem();
    if (still !== null) throw new Error(`npm install did not finish the set-up: ${still}`);
  }
  return true;
}

if (process.argv[1] === HERE) {
  const args = process.argv.slice(2);
  const systemOnly = args[0] === "--system";
  const purpose = systemOnly ? args[1] : args[0];
  if (!PURPOSES.includes(purpose) || args.length !== (systemOnly ? 2 : 1)) {
    console.error("usage: node scripts/setup.mjs [--system] start|test");
    process.exit(2);
  }
  try {
    process.exit((await ensureSetUp(purpose, { systemOnly })) ? 0 : 1);
  } catch (error) {
    console.error(`setup: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { delimiter, join } from "node:path";
import { cleanupAfterEach } from "../support/lifecycle";
import { outputOf, tempDir } from "../support/resources";
import { SERVICE_RUNTIME } from "../support/services";

const ROOT = join(import.meta.dir, "..", "..");
const cleanups = cleanupAfterEach();
const which = (name: string) => execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
const NODE = which("node");
const isRoot = process.getuid?.() === 0;

/** This environment without npm's variables and without any node_modules/.bin on PATH. */
function plainEnvironment(): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("npm_"),
    ),
  );
  const path = (env.PATH ?? "").split(delimiter).filter((dir) => !dir.includes("node_modules"));
  return { ...env, PATH: path.join(delimiter) };
}

/**
 * A directory of stand-ins for `names` that record each call in `calls.log` and fail, first on PATH: a
 * test sees that the check ran none of them.
 */
function standIns(names: string[]): { bin: string; calls(): string } {
  const dir = tempDir("streamledger-bin-");
  cleanups.push(dir.remove);
  const log = join(dir.path, "calls.log");
  for (const name of names) {
    writeFileSync(join(dir.path, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\nexit 1\n`, {
      mode: 0o755,
    });
  }
  return { bin: dir.path, calls: () => (existsSync(log) ? readFileSync(log, "utf8") : "") };
}

async function run(command: string[], options: { cwd: string; env: Record<string, string> }) {
  const child = Bun.spawn(command, { ...options, stdout: "pipe", stderr: "pipe" });
  return outputOf(child);
}

// The set-up check runs on Node.js whatever SERVICE_RUNTIME is: its tests run in the Bun stage only.
describe.skipIf(SERVICE_RUNTIME !== "bun")("the set-up check (scripts/setup.mjs)", () => {
  test.each(["start", "test"])(
    "with everything present (npm %s) it installs nothing and says nothing",
    async (purpose) => {
      const fakes = standIns(["apt-get", "sudo", "npm"]);
      const env = plainEnvironment();
      const checked = await run([NODE, "scripts/setup.mjs", purpose], {
        cwd: ROOT,
        env: { ...env, PATH: `${fakes.bin}${delimiter}${env.PATH}` },
      });
      expect(checked).toEqual({ code: 0, stdout: "", stderr: "" });
      expect(fakes.calls()).toBe("");
    },
  );

  test("not root and no passwordless sudo: it installs nothing and prints the one command to run", async () => {
    // A copy readable by any user, run as nobody (when this runs as root) with a PATH lacking redis-server.
    const dir = tempDir("streamledger-setup-");
    cleanups.push(dir.remove);
    mkdirSync(join(dir.path, "scripts"));
    copyFileSync(join(ROOT, "scripts", "setup.mjs"), join(dir.path, "scripts", "setup.mjs"));
    copyFileSync(join(ROOT, "package.json"), join(dir.path, "package.json"));
    const bin = join(dir.path, "bin");
    mkdirSync(bin);
    symlinkSync(NODE, join(bin, "node"));
    for (const path of [dir.path, bin, join(dir.path, "scripts")]) chmodSync(path, 0o755);
    const asUser = isRoot ? [which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const check = () =>
      run([...asUser, NODE, join(dir.path, "scripts", "setup.mjs"), "start"], {
        cwd: dir.path,
        env: { HOME: dir.path, PATH: bin },
      });
    const command = `${NODE} ${join(dir.path, "scripts", "setup.mjs")} --system start`;

    const withoutSudo = await check();
    expect(withoutSudo.code).toBe(1);
    expect(withoutSudo.stderr).toContain(
      "setup: npm start needs to install redis-server, python3, make, g++ (apt-get), which takes root;",
    );
    expect(withoutSudo.stderr).toContain("is not root and has no passwordless sudo");
    expect(withoutSudo.stderr).toContain(`  su root -c '${command}'\n`);

    // A sudo that asks for a password (`sudo -n true` fails): the command to run is given with sudo.
    writeFileSync(
      join(bin, "sudo"),
      `#!/bin/sh\necho "sudo $*" >> '${join(dir.path, "sudo.log")}'\nexit 1\n`,
      {
        mode: 0o755,
      },
    );
    chmodSync(dir.path, 0o777);
    const withSudo = await check();
    expect(withSudo.code).toBe(1);
    expect(withSudo.stderr).toContain(`\n  sudo ${command}\n`);
    expect(readFileSync(join(dir.path, "sudo.log"), "utf8")).toBe("sudo -n true\n");
    expect(existsSync(join(dir.path, "node_modules"))).toBe(false);
  });

  test("in a clean clone without node_modules it installs the npm dependencies, Bun and Deno included", async () => {
    const dir = tempDir("streamledger-clone-");
    cleanups.push(dir.remove);
    const clone = join(dir.path, "streamledger");
    execFileSync("git", ["clone", "--quiet", ROOT, clone]);
    expect(existsSync(join(clone, "node_modules"))).toBe(false);
    const fakes = standIns(["apt-get", "sudo"]);
    const env = plainEnvironment();
    const installed = await run([NODE, "scripts/setup.mjs", "start"], {
      cwd: clone,
      env: { ...env, PATH: `${fakes.bin}${delimiter}${env.PATH}` },
    });
    expect(installed.stderr).toMatch(/^setup: \S+ is not installed; running npm install$/m);
    expect(installed.code).toBe(0);
    expect(fakes.calls()).toBe("");

    const version = (binary: string) =>
      execFileSync(join(clone, "node_modules", ".bin", binary), ["--version"], { encoding: "utf8" });
    expect(version("bun").trim()).toBe("1.4.4");
    expect(version("deno")).toStartWith("deno 2.");
    execFileSync(NODE, ["-e", "new (require('better-sqlite3'))(':memory:').close()"], { cwd: clone });

    // Checked again, everything is present: no npm install this time (a failing npm stands in for it).
    const again = standIns(["apt-get", "sudo", "npm"]);
    const rechecked = await run([NODE, "scripts/run.mjs", "start", "--", "node", "-e", "process.exit(7)"], {
      cwd: clone,
      env: { ...env, PATH: `${again.bin}${delimiter}${env.PATH}` },
    });
    expect(rechecked).toEqual({ code: 7, stdout: "", stderr: "" });
    expect(again.calls()).toBe("");
  }, 600_000);
});

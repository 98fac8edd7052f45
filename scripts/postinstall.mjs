// npm may skip dependencies' install scripts (npm 11 runs only those approved in allowScripts), and some
// packages need theirs: Bun's and Deno's npm packages put the real binary in place, better-sqlite3 builds
// its native addon. The project's own postinstall (always run by npm) checks each and does what is missing.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const modules = join(import.meta.dirname, "..", "node_modules");

function works(command, args, options = {}) {
  try {
    execFileSync(command, args, { stdio: "ignore", ...options });
    return true;
  } catch {
    return false;
  }
}

const bun = join(modules, "bun");
if (existsSync(bun) && !works(join(bun, "bin", "bun.exe"), ["--version"])) {
  console.log("postinstall: running bun's install script (npm skipped it)");
  execFileSync(process.execPath, [join(bun, "install.js")], { cwd: bun, stdio: "inherit" });
}

// Without its install script, Deno's package runs the binary through a Node.js wrapper, which does not
// pass signals on; the install script links the real binary into the package.
const deno = join(modules, "deno");
if (existsSync(deno) && !works(join(deno, "deno"), ["--version"])) {
  console.log("postinstall: running deno's install script (npm skipped it)");
  execFileSync(process.execPath, [join(deno, "install.cjs")], { cwd: deno, stdio: "inherit" });
}

// better-sqlite3 is Node.js's SQLite driver; it is compiled from source here (node-gyp, with the Node.js
// headers installed beside node when there are any, so nothing is downloaded).
const betterSqlite3 = join(modules, "better-sqlite3");
const opensDatabase = "new (require('better-sqlite3'))(':memory:').close()";
if (existsSync(betterSqlite3) && !works(process.execPath, ["-e", opensDatabase], { cwd: modules })) {
  console.log("postinstall: building better-sqlite3 (npm skipped its install script); this takes a minute");
  const nodeGyp =
    process.env.npm_config_node_gyp ??
    join(dirname(process.env.npm_execpath ?? ""), "..", "node_modules", "node-gyp", "bin", "node-gyp.js");
  const prefix = dirname(dirname(process.execPath));
  const headers = existsSync(join(prefix, "include", "node", "node.h")) ? [`--nodedir=${prefix}`] : [];
  execFileSync(process.execPath, [nodeGyp, "rebuild", "--release", ...headers], {
    cwd: betterSqlite3,
    stdio: "inherit",
  });
  execFileSync(process.execPath, ["-e", opensDatabase], { cwd: modules, stdio: "inherit" });
}

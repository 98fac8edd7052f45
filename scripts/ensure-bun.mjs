// npm may skip dependencies' install scripts; Bun's npm package needs its own to put the real binary in
// place. The project's postinstall (always run by npm) checks and, if needed, runs it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const pkg = join(import.meta.dirname, "..", "node_modules", "bun");
if (existsSync(pkg)) {
  try {
    execFileSync(join(pkg, "bin", "bun.exe"), ["--version"], { stdio: "ignore" });
  } catch {
    console.log("ensure-bun: running bun's install script (npm skipped it)");
    execFileSync(process.execPath, [join(pkg, "install.js")], { cwd: pkg, stdio: "inherit" });
  }
}

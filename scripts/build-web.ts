// Bundles the browser scripts (web/*.ts) into web/build/, which accounts and customers serve.
// Run by `npm install` (postinstall), `npm start` (scripts/start.ts) and `npm test`; alone: `npm run build:web`.
import { join } from "node:path";

const WEB = join(import.meta.dir, "..", "web");

/** Builds web/build/dashboard.js and web/build/docs.js; throws with the bundler's messages on failure. */
export async function buildWeb(): Promise<void> {
  const result = await Bun.build({
    entrypoints: [join(WEB, "dashboard.ts"), join(WEB, "docs.ts")],
    outdir: join(WEB, "build"),
    target: "browser",
    minify: true,
    sourcemap: "none",
  });
  if (!result.success) throw new AggregateError(result.logs, "building the web assets failed");
}

if (import.meta.main) await buildWeb();

import { existsSync } from "node:fs";
import { join } from "node:path";
import { outboxBacklog } from "../../shared/outbox/table";
import { connectDatabase } from "../../shared/sqlite/db";
import { ageOf, type Command, DONE, FAILED, Failure, parseOptions, positionals } from "./cli";
import { SERVICES } from "./stream";

type Backlog = { count: number; oldest: string | null; ageSeconds: number | null };

/**
 * Reads a service database's outbox without writing to it: read-only, no migrations, so a running
 * service is not disturbed (WAL lets it write meanwhile).
 */
function readBacklog(path: string, now: Date): Backlog {
  const sqlite = connectDatabase(path, { readonly: true, busyTimeoutMs: 5000 });
  try {
    const { count, oldest } = outboxBacklog(sqlite.db);
    const ageSeconds =
      oldest === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(oldest)) / 1000));
    return { count, oldest, ageSeconds };
  } finally {
    sqlite.close();
  }
}

export const outboxCommand: Command = {
  usage: `usage: npm run ops -- outbox [--json]

For each service database under DATA_DIR (${SERVICES.map((s) => `${s}.sqlite`).join(", ")}): how many events
wait in its outbox to be published to the stream, and how old the oldest is. A database that is not
there is skipped with a note; exit 1 when none is there or one cannot be read. Opens the files read-only
and needs no Redis, so it also works while Redis is down (which is when a backlog builds up).`,
  async run(args, context) {
    const { values, positionals: rest } = parseOptions(args, { json: { type: "boolean" } });
    positionals(rest, []);
    const now = new Date();
    const report: Record<string, Backlog | null> = {};
    let failed = false;
    for (const service of SERVICES) {
      const path = join(context.config.DATA_DIR, `${service}.sqlite`);
      if (!existsSync(path)) {
        report[service] = null;
        if (!values.json) console.log(`${service}: no database at ${path}; skipped`);
        continue;
      }
      try {
        const backlog = readBacklog(path, now);
        report[service] = backlog;
        if (!values.json) console.log(describe(service, backlog, now));
      } catch (error) {
        failed = true;
        console.error(`ops: ${service}: cannot read the outbox of ${path}: ${String(error)}`);
      }
    }
    if (values.json) console.log(JSON.stringify(report, null, 2));
    if (Object.values(report).every((backlog) => backlog === null) && !failed) {
      throw new Failure(`no service database under DATA_DIR ${context.config.DATA_DIR}`);
    }
    return failed ? FAILED : DONE;
  },
};

function describe(service: string, { count, oldest }: Backlog, now: Date): string {
  const events = `${count} unpublished event${count === 1 ? "" : "s"}`;
  return oldest === null
    ? `${service}: ${events}`
    : `${service}: ${events}, oldest ${oldest} (${ageOf(oldest, now)} ago)`;
}

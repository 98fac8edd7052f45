import { existsSync } from "node:fs";
import { join } from "node:path";
import { RebuildRefused, rebuildAccountsReadModel, removeLeftovers } from "../../accounts/revenue/rebuild";
import { type Command, DONE, FAILED, Failure, parseOptions, positionals, UsageError } from "./cli";

export const rebuild: Command = {
  usage: `usage: npm run ops -- rebuild accounts [--verify]

Replays the whole stream into a fresh accounts read model beside the live one (DATA_DIR/accounts.sqlite).
Refused when the stream no longer holds its whole history (trimmed, deleted or lost entries): a replay
would drop them; acknowledge the gap instead. A consumer held by a gap over a stream that is whole
(restored from an older backup) is moved to the stream's end.
Without --verify it then swaps the rebuilt read model in, atomically, at the live consumer's position,
while the accounts service keeps serving. With --verify it only compares the two and lists every
difference. Users and accounts are copied from the live database, not rebuilt.

exit codes: 0 rebuilt (or identical with --verify), 1 differences found or failed, 2 bad usage`,

  async run(args, context) {
    const { values, positionals: rest } = parseOptions(args, { verify: { type: "boolean" } });
    const [service] = positionals(rest, ["SERVICE"]);
    if (service !== "accounts")
      throw new UsageError(`only the accounts read model is rebuilt, not "${service}"`);
    const livePath = join(context.config.DATA_DIR, "accounts.sqlite");
    if (!existsSync(livePath)) throw new Failure(`no accounts database at ${livePath}`);
    // Interrupted, it removes its half-built copy before exiting (the next run would, too).
    const interrupted = () => {
      removeLeftovers(livePath);
      process.exit(130);
    };
    process.once("SIGINT", interrupted);
    process.once("SIGTERM", interrupted);
    const report = await rebuildAccountsReadModel({
      livePath,
      migrationsFolder: new URL("../../migrations/accounts", import.meta.url).pathname,
      redis: await context.redis(),
      streamKey: context.config.STREAM_KEY,
      verify: values.verify === true,
      parkTimeoutMs: context.config.PARK_TIMEOUT_MS,
      now: () => new Date(),
      log: (line) => process.stderr.write(`${line}\n`),
    }).catch((error: unknown) => {
      if (error instanceof RebuildRefused) throw new Failure(`refused: ${error.message}`);
      throw error;
    });
    if (report.swapped) {
      console.log(
        `rebuilt the accounts read model from ${report.entries} entries and swapped it in at ${report.position}`,
      );
      return DONE;
    }
    if (report.differences.length === 0) {
      console.log(
        `identical: the live read model equals a replay of ${report.entries} entries up to ${report.position}`,
      );
      return DONE;
    }
    console.log(`${report.differences.length} differences at ${report.position}:`);
    for (const difference of report.differences) console.log(`  ${difference}`);
    return FAILED;
  },
};

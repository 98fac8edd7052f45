import { loadConfig } from "../shared/process/config";
import { BAD_USAGE, type Command, createContext, DONE, entryNamed, FAILED, UsageError } from "./ops/cli";
import { dlq } from "./ops/dlq";
import { keys } from "./ops/keys";
import { outboxCommand } from "./ops/outbox";
import { rebuild } from "./ops/rebuild";
import { acknowledgeGapCommand, streamInfo, trim } from "./ops/stream";
import { user } from "./ops/users";

// Operator commands: `npm run ops -- <command>`. Reads the same environment as the services.
const COMMANDS: Record<string, Command> = {
  "stream-info": streamInfo,
  "acknowledge-gap": acknowledgeGapCommand,
  trim,
  dlq,
  outbox: outboxCommand,
  rebuild,
  user,
  keys,
};

const HELP = `usage: npm run ops -- <command> [arguments]    (npm run ops -- <command> --help for details)

Runs with the services' environment: REDIS_URL, STREAM_KEY, DATA_DIR.

commands:
  stream-info [--json]         stream length and IDs, each consumer's position and lag (entries after
                               it), the dead-letter stream's length
  acknowledge-gap SERVICE      accept that entries the SERVICE (customers|accounts) consumer missed are
                               gone, so it resumes (run it on the service's DATA_DIR; rebuilding is the
                               alternative)
  trim [--dry-run]             XTRIM the stream up to the lowest position every known consumer has
                               applied; --dry-run only says what it would remove
  dlq list [--limit N] [--json]
                               the newest dead letters (<STREAM_KEY>:dlq), newest last
  dlq inspect DLQ-ID [--json]  one dead letter in full
  dlq redrive DLQ-ID | --all [--consumer NAME]
                               put dead-lettered entries back on the stream, for the consumer that
                               dead-lettered each only, and delete the dead letters
  dlq purge DLQ-ID | --all [--consumer NAME]
                               delete dead letters
  outbox [--json]              each service database's unpublished events and the age of the oldest
  rebuild accounts [--verify]  replay the stream into a fresh read model and swap it in while the
                               service serves; --verify only compares and lists differences
  user add USERNAME [--account NAME]
                               create an accounts user (and an account it owns); password from
                               OPS_PASSWORD, a terminal prompt or stdin, never the command line
  user passwd USERNAME         change a user's password (same password sources) and revoke its sessions
  keys list                    the token signing keys (current and previous)
  keys rotate [--force]        new signing key without downtime; the previous one is kept to verify

exit codes: 0 done, 1 failed, 2 bad usage; errors go to stderr`;

const HINT = "npm run ops -- --help lists the commands";

/** A usage error: one line, then where the usage is, on stderr; exit 2. */
function badUsage(message: string, hint: string): number {
  console.error(`ops: ${message}\n(${hint})`);
  return BAD_USAGE;
}

async function main(argv: string[]): Promise<number> {
  // Files the commands create under DATA_DIR (keys, rebuilt databases) are owner-only.
  process.umask(0o077);
  const [name, ...args] = argv;
  if (name === "help" || name === "--help" || name === "-h") {
    console.log(HELP);
    return DONE;
  }
  if (name === undefined) {
    console.error(`usage: npm run ops -- <command> [arguments]\n(${HINT})`);
    return BAD_USAGE;
  }
  const command = entryNamed(COMMANDS, name);
  if (!command) return badUsage(`unknown command "${name}"`, HINT);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(command.usage);
    return DONE;
  }
  const { context, close } = createContext(loadConfig(process.env), process.env);
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError)
      return badUsage(error.message, `npm run ops -- ${name} --help for its usage`);
    throw error;
  } finally {
    close();
  }
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (error) {
  console.error(`ops: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(FAILED);
}

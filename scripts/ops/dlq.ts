import { deadLetterStreamOf, originalFieldsOf } from "../../shared/events/stream-contract";
import type { Redis } from "../../shared/stream/redis";
import {
  type Command,
  type Context,
  DONE,
  FAILED,
  Failure,
  parseOptions,
  positionals,
  positiveInteger,
  printTable,
  streamId,
  subcommands,
  UsageError,
} from "./cli";
import {
  allDeadLetters,
  checkIsStream,
  type DeadLetter,
  findDeadLetter,
  newestDeadLetters,
  purge,
  redrive,
} from "./dead-letters";
import { knownConsumers } from "./stream";

const DEFAULT_LIMIT = 100;
const REASON_WIDTH = 60;

export const dlq: Command = {
  usage: `usage: npm run ops -- dlq <subcommand>

The dead-letter stream <STREAM_KEY>:dlq holds the entries a consumer gave up on, with the reason.

  dlq list [--limit N] [--json]      the newest N (default ${DEFAULT_LIMIT}) dead letters, newest last: dead-letter
                                     entry ID, consumer, original entry ID, reason, time
  dlq inspect DLQ-ID [--json]        one dead letter in full, its original fields pretty-printed;
                                     exit 1 if there is no such entry
  dlq redrive DLQ-ID                 put the original entry back on the main stream (a new entry) for
  dlq redrive --all [--consumer C]   the consumer that dead-lettered it only, and delete the dead letter,
                                     in one MULTI; prints the new stream ID. The new entry carries
                                     RedrivenFor: <consumer>; every other consumer passes it as already
                                     dealt with, so it neither applies it twice nor dead-letters it
                                     again. The consumer applies each EventId once, so a redriven event
                                     is applied once. Exit 1 if the entry is not there.
  dlq purge DLQ-ID                   delete dead letters (XDEL); prints how many
  dlq purge --all [--consumer C]

--all takes the dead letters there are when the command starts (of consumer C with --consumer; C must be
a service or a consumer that reported a position, else exit 2).`,
  run: subcommands("dlq", { list, inspect, redrive: redriveCommand, purge: purgeCommand }),
};

const keysOf = (context: Context) => ({
  stream: context.config.STREAM_KEY,
  dlq: deadLetterStreamOf(context.config.STREAM_KEY),
});

async function list(args: string[], context: Context): Promise<number> {
  const { values, positionals: rest } = parseOptions(args, {
    limit: { type: "string" },
    json: { type: "boolean" },
  });
  positionals(rest, []);
  const limit = positiveInteger(values.limit, "--limit", DEFAULT_LIMIT);
  const redis = await context.redis();
  const { dlq: key } = keysOf(context);
  const letters = await newestDeadLetters(redis, key, limit);
  if (values.json) {
    console.log(JSON.stringify(letters.map(forJson), null, 2));
    return DONE;
  }
  if (letters.length === 0) {
    console.log(`${key} is empty`);
    return DONE;
  }
  const rows = [
    ["DLQ ID", "CONSUMER", "ORIGINAL ID", "REASON", "DEAD-LETTERED AT"],
    ...letters.map((letter) => [
      letter.id,
      letter.consumer ?? "-",
      letter.originalId ?? "-",
      truncate(letter.reason ?? "-", REASON_WIDTH),
      letter.deadLetteredAt ?? "-",
    ]),
  ];
  printTable(rows);
  const total = await redis.xlen(key);
  if (total > letters.length) console.log(`(the newest ${letters.length} of ${total}; see --limit)`);
  return DONE;
}

async function inspect(args: string[], context: Context): Promise<number> {
  const { values, positionals: rest } = parseOptions(args, { json: { type: "boolean" } });
  const [raw] = positionals(rest, ["DLQ-ID"]);
  const id = streamId(raw as string, "DLQ-ID");
  const { dlq: key } = keysOf(context);
  const letter = await findDeadLetter(await context.redis(), key, id);
  if (!letter) throw new Failure(`no dead letter ${id} in ${key}`);
  if (values.json) {
    console.log(JSON.stringify(forJson(letter), null, 2));
    return DONE;
  }
  const lines = [
    `dead letter ${letter.id} in ${key}`,
    `  DeadLetterId:    ${letter.deadLetterId ?? "-"}`,
    `  OriginalId:      ${letter.originalId ?? "-"}`,
    `  Consumer:        ${letter.consumer ?? "-"}`,
    `  Reason:          ${letter.reason ?? "-"}`,
    `  DeadLetteredAt:  ${letter.deadLetteredAt ?? "-"}`,
  ];
  const fields = originalFieldsOf(letter);
  if (fields === null) {
    lines.push(`  OriginalFields (not a JSON object): ${letter.originalFields ?? "-"}`);
  } else {
    lines.push("  OriginalFields:", indent(JSON.stringify(fields, null, 2), 4));
    const payload = typeof fields.Payload === "string" ? parseJson(fields.Payload) : undefined;
    if (payload !== undefined) lines.push("  Payload, parsed:", indent(JSON.stringify(payload, null, 2), 4));
  }
  console.log(lines.join("\n"));
  return DONE;
}

type Selection = { id: string } | { all: true; consumer: string | undefined };

/** Which dead letters `redrive` and `purge` act on: one ID, or `--all` optionally of one consumer. */
function selection(args: string[]): Selection {
  const { values, positionals: rest } = parseOptions(args, {
    all: { type: "boolean" },
    consumer: { type: "string" },
  });
  if (values.all) {
    positionals(rest, []);
    return { all: true, consumer: values.consumer };
  }
  if (values.consumer !== undefined) throw new UsageError("--consumer goes with --all");
  if (rest.length === 0) throw new UsageError("name a DLQ-ID, or --all");
  const [raw] = positionals(rest, ["DLQ-ID"]);
  return { id: streamId(raw as string, "DLQ-ID") };
}

/** A consumer named with --consumer must be one there is: a typo would otherwise select nothing, silently. */
async function checkConsumer(redis: Redis, context: Context, selected: Selection): Promise<void> {
  if (!("all" in selected) || selected.consumer === undefined) return;
  const known = await knownConsumers(redis, context.config.STREAM_KEY);
  if (!known.includes(selected.consumer)) {
    throw new UsageError(`unknown consumer "${selected.consumer}" (the consumers are ${known.join(", ")})`);
  }
}

async function redriveCommand(args: string[], context: Context): Promise<number> {
  const selected = selection(args);
  const redis = await context.redis();
  await checkConsumer(redis, context, selected);
  const keys = keysOf(context);
  await checkIsStream(redis, keys.stream);
  if ("id" in selected) {
    const newId = await redrive(redis, keys, selected.id);
    if (newId === null) throw new Failure(`no dead letter ${selected.id} in ${keys.dlq}`);
    console.log(`${selected.id} -> ${newId}`);
    console.log(`redrove 1 dead letter onto ${keys.stream}, for its consumer only`);
    return DONE;
  }
  let redriven = 0;
  let failed = 0;
  for await (const letter of allDeadLetters(redis, keys.dlq, selected.consumer)) {
    try {
      const newId = await redrive(redis, keys, letter.id);
      if (newId === null) continue; // someone else redrove or purged it meanwhile
      console.log(`${letter.id} -> ${newId}`);
      redriven += 1;
    } catch (error) {
      if (!(error instanceof Failure)) throw error;
      console.error(`ops: ${error.message}`);
      failed += 1;
    }
  }
  console.log(`redrove ${redriven} dead letter${redriven === 1 ? "" : "s"} onto ${keys.stream}`);
  if (failed > 0) console.error(`ops: ${failed} dead letter${failed === 1 ? "" : "s"} could not be redriven`);
  return failed > 0 ? FAILED : DONE;
}

async function purgeCommand(args: string[], context: Context): Promise<number> {
  const selected = selection(args);
  const redis = await context.redis();
  await checkConsumer(redis, context, selected);
  const { dlq: key } = keysOf(context);
  const ids =
    "id" in selected
      ? (async function* () {
          yield selected.id;
        })()
      : (async function* () {
          for await (const letter of allDeadLetters(redis, key, selected.consumer)) yield letter.id;
        })();
  const purged = await purge(redis, key, ids);
  if ("id" in selected && purged === 0) throw new Failure(`no dead letter ${selected.id} in ${key}`);
  console.log(`purged ${purged} dead letter${purged === 1 ? "" : "s"} from ${key}`);
  return DONE;
}

function forJson(letter: DeadLetter) {
  return { ...letter, originalFields: originalFieldsOf(letter) ?? letter.originalFields };
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function indent(text: string, spaces: number): string {
  return text.replace(/^/gm, " ".repeat(spaces));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

import { join } from "node:path";
import { ConfigError, loadConfig, redisUrlOf } from "../shared/config";
import { openDatabase } from "../shared/db";
import { detectGap, inspectStream, positionsKeyOf } from "../shared/gap";
import { createLogger } from "../shared/log";
import { acknowledgeGap, checkpoints } from "../shared/projection";
import { connectRedis, whenReady } from "../shared/redis";
import { compareStreamIds } from "../shared/wire";

// Operator commands: `bun run ops -- <command>`. Reads the same environment as the services.
const SERVICES = ["customers", "accounts"] as const;
type Service = (typeof SERVICES)[number];

const HELP = `usage: bun run ops -- <command>

commands:
  stream-info              stream length and each consumer's reported position
  acknowledge-gap SERVICE  accept that entries the SERVICE (customers|accounts) consumer missed are gone,
                           so it resumes (run it on the service's DATA_DIR; rebuilding is the alternative)
  trim                     XTRIM the stream up to the lowest position every known consumer has applied

exit codes: 0 done, 1 failed, 2 bad usage`;

async function main(argv: string[]): Promise<number> {
  const [command, argument] = argv;
  if (!command || command === "help" || command === "--help") {
    console.log(HELP);
    return command ? 0 : 2;
  }
  const config = loadConfig(process.env);
  const redis = connectRedis(redisUrlOf(config), createLogger("ops", "silent"), "ops");
  try {
    await whenReady(redis, 5000);
    const key = config.STREAM_KEY;
    const positions = await redis.hgetall(positionsKeyOf(key));
    switch (command) {
      case "stream-info": {
        const state = await inspectStream(redis, key);
        console.log(JSON.stringify({ stream: key, ...state, positions }, null, 2));
        return 0;
      }
      case "acknowledge-gap": {
        if (!SERVICES.includes(argument as Service)) {
          console.error(`acknowledge-gap needs a service: ${SERVICES.join(" or ")}\n\n${HELP}`);
          return 2;
        }
        const service = argument as Service;
        const database = openDatabase(
          join(config.DATA_DIR, `${service}.sqlite`),
          new URL(`../migrations/${service}`, import.meta.url).pathname,
        );
        try {
          const row = database.db
            .select()
            .from(checkpoints)
            .all()
            .find((c) => c.consumer === service);
          const gap = detectGap(
            row?.position ?? "0-0",
            await inspectStream(redis, key),
            row?.gapAcknowledgedThrough ?? null,
          );
          if (!gap) {
            console.log(`${service}: no gap to acknowledge`);
            return 0;
          }
          acknowledgeGap(database.db, service, gap.through, new Date());
          console.log(`${service}: acknowledged: ${gap.reason}; the consumer resumes within seconds`);
          return 0;
        } finally {
          database.close();
        }
      }
      case "trim": {
        const missing = SERVICES.filter((service) => positions[service] === undefined);
        if (missing.length > 0) {
          console.error(`not trimming: no reported position for ${missing.join(", ")}`);
          return 1;
        }
        const lowest = Object.values(positions).sort(compareStreamIds)[0] as string;
        const trimmed = await redis.xtrim(key, "MINID", lowest);
        console.log(`trimmed ${trimmed} entries before ${lowest} (the lowest applied position)`);
        return 0;
      }
      default:
        console.error(`unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } finally {
    redis.disconnect();
  }
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (error) {
  console.error(`ops: ${error instanceof ConfigError ? error.message : String(error)}`);
  process.exit(1);
}

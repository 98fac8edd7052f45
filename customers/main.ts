import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { createAuthenticator, remoteSigningKeys } from "../shared/auth";
import { loadConfig, redisUrlOf } from "../shared/config";
import { startConsumer } from "../shared/consumer";
import { openDatabase } from "../shared/db";
import { createLogger } from "../shared/log";
import { createOutboxRelay } from "../shared/outbox";
import { connectRedis } from "../shared/redis";
import { runMain, serveUntilSignalled } from "../shared/service";
import { createStreamReader } from "../shared/stream";
import { createApp } from "./app";
import { createAccountsView } from "./events";
import { createCustomersStore } from "./store";

await runMain("customers", async () => {
  const config = loadConfig(process.env);
  const logger = createLogger("customers", config.LOG_LEVEL);
  const now = () => new Date();
  const database = openDatabase(
    join(config.DATA_DIR, "customers.sqlite"),
    new URL("../migrations/customers", import.meta.url).pathname,
  );
  const redisUrl = redisUrlOf(config);
  const redis = connectRedis(redisUrl, logger, "customers");
  const relay = createOutboxRelay({
    db: database.db,
    redis,
    streamKey: config.STREAM_KEY,
    producer: "customers",
    logger,
  });
  const consumer = startConsumer({
    reader: createStreamReader({
      connect: () => connectRedis(redisUrl, logger, "customers-reader"),
      streamKey: config.STREAM_KEY,
      count: config.CONSUMER_BATCH_SIZE,
      blockMs: config.CONSUMER_BLOCK_MS,
    }),
    redis,
    streamKey: config.STREAM_KEY,
    projection: createAccountsView({ db: database.db, now, newId: uuidv7 }),
    onBatch: (result) => {
      if (result.deadLettered > 0) relay.notify();
    },
    logger,
    now,
  });
  const app = createApp({
    db: database.db,
    store: createCustomersStore(database.db),
    authenticate: createAuthenticator(remoteSigningKeys(config.ACCOUNTS_URL)),
    relay,
    consumer,
    logger,
    now,
    newEventId: uuidv7,
  });
  serveUntilSignalled({
    app,
    hostname: config.HOST,
    port: config.CUSTOMERS_PORT,
    logger,
    closers: [
      { name: "consumer", close: () => consumer.close() },
      { name: "outbox relay", close: () => relay.close() },
      { name: "redis", close: () => redis.quit() },
      { name: "database", close: () => database.close() },
    ],
  });
});

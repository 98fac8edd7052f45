import { createOutboxAppend, deadLetterEntry } from "../outbox/table";
import type { Db } from "../sqlite/db";
import { deadLetters } from "./tables";

/** An entry a projection gives up on: its stream ID, why, and its fields as read. */
export type DeadLetter = { streamId: string; reason: string; fields: Record<string, string> };

/**
 * Writes a dead letter in the batch's transaction: its row in `dead_letters`, and its entry in the outbox
 * for the dead-letter stream, so both commit (or roll back) with the checkpoint.
 */
export function createDeadLetterWriter(deps: {
  db: Db;
  consumer: string;
  now: () => Date;
  newId: () => string;
}): (letter: DeadLetter) => void {
  const { db, consumer, now, newId } = deps;
  const appendToOutbox = createOutboxAppend(db);
  return ({ streamId, reason, fields }) => {
    const recordedAt = now().toISOString();
    db.insert(deadLetters).values({ consumer, streamId, reason, fields, recordedAt }).run();
    appendToOutbox(
      deadLetterEntry({
        deadLetterId: newId(),
        originalId: streamId,
        consumer,
        reason,
        deadLetteredAt: recordedAt,
        originalFields: fields,
      }),
    );
  };
}

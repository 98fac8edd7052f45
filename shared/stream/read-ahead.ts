import type { RawEntry } from "../events/wire";
import type { StreamReader } from "./reader";

/** A read's outcome as a value, so a read nobody awaits yet never counts as an unhandled rejection. */
type SettledRead = { entries: RawEntry[] } | { error: unknown };

/**
 * Reads with the next read sent ahead: sent before the current batch is applied, so Redis answers while
 * SQLite works, and used only if the next read starts where it was sent from.
 */
export function createReadAhead(reader: StreamReader) {
  let ahead: { after: string; read: Promise<SettledRead> } | null = null;
  return {
    /** The entries after `after`: the read sent ahead from there if there is one, else a new read. */
    read(after: string): Promise<RawEntry[]> {
      const read = ahead?.after === after ? ahead.read : settle(reader.read(after));
      ahead = null;
      return read.then((outcome) => {
        if ("error" in outcome) throw outcome.error;
        return outcome.entries;
      });
    },
    /** Sends the read of the entries after `after` now. */
    sendAhead(after: string): void {
      ahead = { after, read: settle(reader.read(after)) };
    },
    /** Forgets the read sent ahead (the position it was sent from may not hold). */
    drop(): void {
      ahead = null;
    },
  };
}

function settle(read: Promise<RawEntry[]>): Promise<SettledRead> {
  return read.then(
    (entries) => ({ entries }),
    (error: unknown) => ({ error }),
  );
}

import type { Session } from "./session";
import { createSseParser, type SseMessage } from "./sse";

/**
 * Follows GET /accounts/events with the token in a header (never in the URL) until `signal` aborts:
 * reconnects with backoff and Last-Event-ID, renews the token when the stream says `expired` or answers
 * 401, and calls `ended` when it cannot.
 */
export async function followEvents(deps: {
  session: Session;
  signal: AbortSignal;
  onMessage: (message: SseMessage) => void;
  onConnected: (live: boolean) => void;
  ended: (message: string) => void;
}): Promise<void> {
  const { session, signal, onMessage, onConnected, ended } = deps;
  let lastEventId: string | undefined;
  let delay = 500;
  while (!signal.aborted && session.token()) {
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${session.token()}`,
        accept: "text/event-stream",
      };
      if (lastEventId) headers["last-event-id"] = lastEventId;
      const response = await fetch("/accounts/events", { headers, signal });
      if (response.status === 401) {
        if (await session.renew()) continue;
        return ended("Your session has ended; log in again.");
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onConnected(true);
      delay = 500;
      // The stream says `expired` and ends when the access token does: renew it and go on.
      let expired = false;
      const parser = createSseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          if (message.id) lastEventId = message.id;
          if (message.event === "expired") expired = true;
          else onMessage(message);
        }
      }
      if (expired) {
        if (await session.renew()) continue;
        return ended("Your session has ended; log in again.");
      }
    } catch {
      if (signal.aborted) return;
    }
    onConnected(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

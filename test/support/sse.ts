import { createSseParser, type SseMessage } from "../../web/sse";

export type EventStream = {
  status: number;
  headers: Headers;
  /** The next message (keep-alive comments skipped); undefined once the stream has ended. */
  next(): Promise<SseMessage | undefined>;
  close(): Promise<void>;
};

/** Reads a text/event-stream response message by message. */
export function readEventStream(response: Response): EventStream {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  const parser = createSseParser();
  const pending: SseMessage[] = [];
  return {
    status: response.status,
    headers: response.headers,
    async next() {
      while (pending.length === 0) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return undefined;
        pending.push(...parser.push(chunk.value));
      }
      return pending.shift();
    },
    async close() {
      await reader?.cancel().catch(() => {});
    },
  };
}

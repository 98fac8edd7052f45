/** One Server-Sent Events message: its `event` type ("message" when none is given), `data` and `id`. */
export type SseMessage = { event: string; data: string; id: string | undefined };

/**
 * An incremental text/event-stream parser (the HTML standard's rules): feed it text as it arrives,
 * get back the messages it completed. Comments (keep-alives) and unknown fields are skipped.
 */
export function createSseParser() {
  let buffer = "";
  let data: string[] = [];
  let event = "";
  let id: string | undefined;
  return {
    push(text: string): SseMessage[] {
      buffer += text;
      const messages: SseMessage[] = [];
      for (;;) {
        const end = buffer.search(/\r\n|\r|\n/);
        if (end < 0) break;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(buffer[end] === "\r" && buffer[end + 1] === "\n" ? end + 2 : end + 1);
        if (line === "") {
          if (data.length > 0) messages.push({ event: event || "message", data: data.join("\n"), id });
          data = [];
          event = "";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") event = value;
        else if (field === "id" && !value.includes("\0")) id = value;
      }
      return messages;
    },
  };
}

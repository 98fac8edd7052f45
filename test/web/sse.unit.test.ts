import { describe, expect, test } from "bun:test";
import { createSseParser } from "../../web/sse";

describe("the dashboard's event-stream parser", () => {
  test("gives each message its type, data and id, however the text is split", () => {
    const text =
      'id: 1-0\nevent: snapshot\ndata: {"a":1}\n\n: keep-alive\n\nid: 2-0\nevent: change\ndata: x\ndata: y\n\n';
    for (const size of [1, 3, 7, text.length]) {
      const parser = createSseParser();
      const messages = [];
      for (let at = 0; at < text.length; at += size) messages.push(...parser.push(text.slice(at, at + size)));
      expect(messages).toEqual([
        { event: "snapshot", data: '{"a":1}', id: "1-0" },
        { event: "change", data: "x\ny", id: "2-0" },
      ]);
    }
  });

  test("keeps the last id for later messages and reads CRLF line ends", () => {
    const parser = createSseParser();
    expect(parser.push("id: 5-1\r\ndata: a\r\n\r\ndata: b\r\n\r\n")).toEqual([
      { event: "message", data: "a", id: "5-1" },
      { event: "message", data: "b", id: "5-1" },
    ]);
  });

  test("holds back a message until its blank line arrives", () => {
    const parser = createSseParser();
    expect(parser.push("data: partial\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "message", data: "partial", id: undefined }]);
  });
});

/**
 * The path ("a.b") of the first key that appears twice in one object of `text`, which must be valid
 * JSON. JSON.parse keeps the last of duplicate keys where other parsers keep the first; a request whose
 * meaning depends on the parser is refused rather than guessed at.
 */
export function duplicateKeyIn(text: string): string | undefined {
  type Frame = { keys: Set<string> | undefined; key: string | undefined; expectingKey: boolean };
  const stack: Frame[] = [];
  const path = () => stack.map((frame) => frame.key ?? "").filter((key) => key !== "");
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const frame = stack.at(-1);
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (frame?.keys && frame.expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (frame.keys.has(key)) return [...path().slice(0, -1), key].join(".");
        frame.keys.add(key);
        frame.key = key;
        frame.expectingKey = false;
      }
      i = end;
    } else if (char === "{") {
      stack.push({ keys: new Set(), key: undefined, expectingKey: true });
    } else if (char === "[") {
      stack.push({ keys: undefined, key: undefined, expectingKey: false });
    } else if (char === "}" || char === "]") {
      stack.pop();
    } else if (char === "," && frame?.keys) {
      frame.expectingKey = true;
    }
  }
  return undefined;
}

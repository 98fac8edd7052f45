import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { duplicateKeyIn } from "../../../shared/http/duplicate-keys";

describe("duplicateKeyIn", () => {
  test.each([
    ['{"a":1,"a":2}', "a"],
    ['{"a":1,"\\u0061":2}', "a"],
    ['{"x":{"b":1,"b":2}}', "x.b"],
    ['[{"a":1},{"c":{"d":[1,{"e":1,"e":1}]}}]', "c.d.e"],
    ['{"__proto__":1,"__proto__":2}', "__proto__"],
  ])("finds the repeated key in %s", (text, path) => {
    expect(duplicateKeyIn(text)).toBe(path);
  });

  test.each([
    '{"a":1,"b":{"a":2}}',
    '[{"a":1},{"a":2}]',
    '{"a":"\\"a\\":","b":"{,}"}',
    '{"a":[1,2,{"b":1}],"b":2}',
    '"just a string"',
    "12",
  ])("finds none in %s", (text) => {
    expect(duplicateKeyIn(text)).toBeUndefined();
  });

  test("finds none in anything JSON.stringify writes (fast-check)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(duplicateKeyIn(JSON.stringify(value))).toBeUndefined();
      }),
    );
  });
});

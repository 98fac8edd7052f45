import { describe, expect, test } from "bun:test";
import { passwordProblems } from "../../../accounts/auth/password-policy";

describe("passwordProblems", () => {
  test("accepts a long passphrase", () => {
    expect(passwordProblems("blue kettle orbit 42", "alice", 12)).toEqual([]);
  });

  test.each([
    ["short1", "must be at least 12 characters"],
    ["x".repeat(1001), "must be at most 1000 characters"],
    ["alice-is-the-best", "must not contain the username"],
    ["ALICEalice2024", "must not contain the username"],
    ["Password1234", "is too common"],
    ["aaaaaaaaaaaaaaaa", "must not repeat a single character"],
  ])("refuses %j: %s", (password, problem) => {
    expect(passwordProblems(password, "alice", 12)).toContain(problem);
  });

  test("counts characters, not UTF-16 units", () => {
    expect(passwordProblems("😀".repeat(12), "alice", 12)).not.toContain("must be at least 12 characters");
  });
});

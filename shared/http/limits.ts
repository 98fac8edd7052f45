import { z } from "zod";
import type { Config } from "../process/config";

/** Limits on what clients send, from MAX_NAME_LENGTH and MAX_PAGE_SIZE. */
export type InputLimits = { maxNameLength: number; maxPageSize: number };

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxNameLength: 200, maxPageSize: 200 };

/**
 * What no text field of a request may hold: C0 and C1 control characters (DEL too), the bidirectional
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), and the directional marks LRM, RLM
 * and ALM (U+200E, U+200F, U+061C). All are invisible; shown inside other text they reorder it or hide
 * what a name is (SECURITY.md says why the marks are refused too).
 */
export const UNSAFE_TEXT = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

const codePoint = (char: string) =>
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * A string that holds none of UNSAFE_TEXT, checked before anything trims it; the refusal names the first
 * such character. Every text field of every request starts from this.
 */
export function textSchema() {
  return z.string({ error: "must be a string" }).refine((text) => !UNSAFE_TEXT.test(text), {
    abort: true,
    error: (issue) => {
      const found = String(issue.input).match(UNSAFE_TEXT)?.[0] ?? "";
      return `must not contain control or bidirectional formatting characters (it has ${codePoint(found)})`;
    },
  });
}

/** A required display name: no unsafe characters, trimmed, not empty, at most `max` characters. */
export function nameSchema(max: number) {
  return textSchema().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
}

/** A page size in a query string: a whole number from 1 to `max`, 50 when absent. */
export function pageLimitSchema(max: number) {
  const message = `must be a whole number from 1 to ${max}`;
  return z
    .string()
    .regex(/^[1-9][0-9]{0,5}$/, { message, abort: true })
    .transform(Number)
    .refine((limit) => limit <= max, message)
    .default(Math.min(50, max));
}

/** The limits on names and page sizes both services validate requests with. */
export function inputLimitsOf(config: Config): InputLimits {
  return { maxNameLength: config.MAX_NAME_LENGTH, maxPageSize: config.MAX_PAGE_SIZE };
}

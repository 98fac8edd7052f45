import { z } from "zod";
import type { Config } from "../process/config";

/** Limits on what clients send, from MAX_NAME_LENGTH and MAX_PAGE_SIZE. */
export type InputLimits = { maxNameLength: number; maxPageSize: number };

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxNameLength: 200, maxPageSize: 200 };

/** A required display name: trimmed, not empty, at most `max` characters. */
export function nameSchema(max: number) {
  return z
    .string({ error: "must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`);
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

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  calendarDate,
  cents,
  decimalId,
  domainEvent,
  EVENT_TYPES,
  MAX_INVOICE_CENTS,
} from "../../../shared/events/schemas";

const firstMessage = (result: { success: boolean; error?: { issues: { message: string }[] } }) =>
  result.error?.issues[0]?.message;

describe("calendarDate", () => {
  test.each([
    ["2024-02-29", "a leap day of a year divisible by 4"],
    ["2000-02-29", "a leap day of a year divisible by 400"],
    ["2019-01-06", "an ordinary day"],
    ["2019-12-31", "the last day of a year"],
    ["0001-01-01", "the legacy system's zero date"],
  ])("accepts %s (%s)", (value) => {
    expect(calendarDate.safeParse(value)).toEqual({ success: true, data: value });
  });

  test.each([
    ["2023-02-29", "a leap day of a common year", "is not a real calendar date"],
    ["1900-02-29", "a leap day of a century not divisible by 400", "is not a real calendar date"],
    ["2019-02-30", "the 30th of February", "is not a real calendar date"],
    ["2019-04-31", "the 31st of a 30-day month", "is not a real calendar date"],
    ["2019-13-01", "a 13th month", "is not a real calendar date"],
    ["2019-00-10", "a month 0", "is not a real calendar date"],
    ["2019-01-00", "a day 0", "is not a real calendar date"],
    ["2019-1-6", "a date without leading zeros", "must be a date written YYYY-MM-DD"],
    ["2019-01-06T00:00:00Z", "a timestamp", "must be a date written YYYY-MM-DD"],
    ["", "an empty string", "must be a date written YYYY-MM-DD"],
  ])("rejects %s (%s)", (value, _situation, message) => {
    const result = calendarDate.safeParse(value);

    expect(result.success).toBe(false);
    expect(firstMessage(result)).toBe(message);
  });

  test("refuses the year 0000", () => {
    expect(firstMessage(calendarDate.safeParse("0000-01-01"))).toBe("is not a real calendar date");
  });

  test("accepts exactly the days the proleptic Gregorian calendar has", () => {
    const twoDigits = (n: number) => String(n).padStart(2, "0");
    fc.assert(
      fc.property(
        // Century years and the last days of months, where calendars go wrong, drawn often.
        fc.oneof(
          fc.integer({ min: 0, max: 9999 }),
          fc.integer({ min: 0, max: 99 }).map((c) => c * 100),
        ),
        fc.integer({ min: 0, max: 13 }),
        fc.oneof(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 28, max: 31 })),
        (year, month, day) => {
          const date = new Date(Date.UTC(2000, month - 1, day));
          date.setUTCFullYear(year, month - 1, day);
          const real =
            year >= 1 &&
            date.getUTCFullYear() === year &&
            date.getUTCMonth() === month - 1 &&
            date.getUTCDate() === day;
          const value = `${String(year).padStart(4, "0")}-${twoDigits(month)}-${twoDigits(day)}`;
          expect(calendarDate.safeParse(value).success).toBe(real);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe("cents", () => {
  test.each([1, 2550, MAX_INVOICE_CENTS])("accepts %d", (value) => {
    expect(cents.safeParse(value).success).toBe(true);
  });

  test.each([
    [0, "must be greater than zero"],
    [-1, "must be greater than zero"],
    [10.5, "must be an integer number of cents"],
    [MAX_INVOICE_CENTS + 1, `must be at most ${MAX_INVOICE_CENTS}`],
    ["100", "must be an integer number of cents"],
    [null, "must be an integer number of cents"],
  ])("rejects %p: %s", (value, message) => {
    const result = cents.safeParse(value);

    expect(result.success).toBe(false);
    expect(firstMessage(result)).toBe(message);
  });
});

describe("decimalId", () => {
  test.each(["1", "42", "999999999999999"])("accepts %p", (value) => {
    expect(decimalId.safeParse(value).success).toBe(true);
  });

  test.each([
    ["0", "zero"],
    ["01", "a leading zero"],
    ["-1", "a negative number"],
    ["1.0", "a fraction"],
    ["abc", "letters"],
    [" 1", "surrounding space"],
    ["", "an empty string"],
    ["1000000000000000", "16 digits, beyond exact JS integers' comfort"],
  ])("rejects %p (%s)", (value) => {
    const result = decimalId.safeParse(value);

    expect(result.success).toBe(false);
    expect(firstMessage(result)).toBe('must be a decimal integer string, e.g. "42"');
  });

  test("rejects a number", () => {
    expect(decimalId.safeParse(42).success).toBe(false);
  });
});

describe("domainEvent", () => {
  test("lists every event type once", () => {
    expect([...EVENT_TYPES].sort()).toEqual([
      "AccountCreated",
      "AccountDeleted",
      "CustomerCreated",
      "CustomerDeleted",
      "CustomerUpdated",
      "InvoiceCreated",
      "InvoiceDeleted",
    ]);
  });

  test("rejects a payload that belongs to another type", () => {
    const result = domainEvent.safeParse({
      type: "CustomerCreated",
      payload: {
        id: "1",
        name: "one",
        description: "",
        owned_by: "user1",
        created_date: "2019-01-06T00:00:00Z",
      },
    });

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain("payload.account_id");
  });

  test.each([
    ["0001-01-01T00:00:00Z", true],
    ["2026-11-24T10:00:00.123+02:00", true],
    ["2026-11-24", false],
  ])("reads created_date %p as a timestamp: %p", (created_date, ok) => {
    const result = domainEvent.safeParse({
      type: "CustomerCreated",
      payload: { id: "1", account_id: "1", name: "John Adams", created_date },
    });

    expect(result.success).toBe(ok);
  });
});

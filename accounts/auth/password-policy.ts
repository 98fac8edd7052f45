// Passwords people reach for first; refused whatever the length rule says (NIST SP 800-63B's blocklist idea).
const COMMON = new Set([
  "password",
  "password1",
  "password12",
  "password123",
  "password1234",
  "passw0rd",
  "123456789012",
  "1234567890",
  "qwertyuiop",
  "qwertyuiop123",
  "letmein12345",
  "iloveyou1234",
  "welcome12345",
  "administrator",
  "changeme1234",
  "correcthorsebatterystaple",
]);

export const MAX_PASSWORD_LENGTH = 1000;

/** What is wrong with `password` as `username`'s new password; empty when it is acceptable. */
export function passwordProblems(password: string, username: string, minLength: number): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < minLength) problems.push(`must be at least ${minLength} characters`);
  if (length > MAX_PASSWORD_LENGTH) problems.push(`must be at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase()))
    problems.push("must not contain the username");
  if (COMMON.has(lower)) problems.push("is too common");
  if (length > 0 && new Set(password).size === 1) problems.push("must not repeat a single character");
  return problems;
}

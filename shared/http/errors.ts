/** An error domain code throws to end a request with a given status, mapped to a problem body by shared/http/conventions.ts. */
export class HttpError extends Error {
  /** What the request's log line keeps of the cause (a library's error code); never sent to the client. */
  reason?: string;

  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors?: Record<string, string[]>,
  ) {
    super(detail);
  }
}

/** 422 (or 400/415 where the request itself is unreadable); `errors` maps each field path to its problems. */
export class ValidationError extends HttpError {
  constructor(errors: Record<string, string[]>, detail = "the request has invalid fields", status = 422) {
    super(status, "Invalid request", detail, errors);
  }

  /** A single field's problem. */
  static field(field: string, message: string): ValidationError {
    return new ValidationError({ [field]: [message] }, `${field} ${message}`);
  }
}

export class NotFoundError extends HttpError {
  constructor(detail: string) {
    super(404, "Not found", detail);
  }
}

export class ConflictError extends HttpError {
  constructor(detail: string) {
    super(409, "Conflict", detail);
  }
}

/**
 * 401 when the caller is not authenticated, 403 when authenticated but not allowed. A 401 about the bearer
 * token carries a `WWW-Authenticate: Bearer` challenge; a failed password login does not.
 */
export class AuthError extends HttpError {
  constructor(
    status: 401 | 403,
    detail: string,
    readonly bearerChallenge = status === 401,
  ) {
    super(status, status === 401 ? "Unauthorized" : "Forbidden", detail);
  }
}

export class UnavailableError extends HttpError {
  constructor(detail: string) {
    super(503, "Service unavailable", detail);
  }
}

/** 429: the client must wait `retryAfterSeconds` (sent as Retry-After) before trying again. */
export class TooManyRequestsError extends HttpError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, "Too many requests", detail);
  }
}

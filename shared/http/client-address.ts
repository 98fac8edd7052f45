type ServerWithAddresses = { requestIP?(request: Request): { address: string } | null } | null | undefined;

/**
 * The address a request came from: the last entry of `trustedHeader` when the service sits behind a proxy
 * that sets it (CLIENT_IP_HEADER), else the socket's peer address.
 */
export function clientAddressOf(
  request: Request,
  server: ServerWithAddresses,
  trustedHeader?: string,
): string {
  if (trustedHeader) {
    const forwarded = request.headers.get(trustedHeader)?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  // Node.js (srvx, under Elysia's adapter) and Deno (shared/http/serve.ts) put it on the request as `ip`.
  const ip = (request as { ip?: unknown }).ip;
  if (typeof ip === "string" && ip !== "") return ip;
  try {
    return server?.requestIP?.(request)?.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

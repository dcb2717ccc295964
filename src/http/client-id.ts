import type { Request } from 'express';

/**
 * Who is asking, for the per-client limits: the configured header (an API key, say) when
 * the request has it, else the address Express derives behind the trusted proxy hops.
 */
export function clientIdOf(req: Request, header: string | undefined): string {
  const fromHeader = header ? req.get(header) : undefined;
  if (fromHeader) return `key:${fromHeader}`;
  return `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}

// The admin listener's bearer check. The token is compared through SHA-256 digests of equal length
// with timingSafeEqual, so neither its length nor its prefix leaks through timing; it is never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null;
}

/** Every admin route sits behind this when a token is configured. */
export function requireBearerToken(token: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (bearerTokenMatches(req.headers.authorization, token)) return next();
    res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="reseller-bridge admin"');
    res.json({ error: 'a valid Authorization: Bearer <BRIDGE_ADMIN_TOKEN> is required' });
  };
}

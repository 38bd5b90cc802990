import { requestIdOf } from '@chat/platform';
import type { Principal } from '../principal';

/** Where an audited action came from: the request's id and the client's address. */
export interface AuditContext {
  requestId: string | null;
  clientAddress: string | null;
}

/** Who did it: a person (or bot) by id and their username at the time; null for the system. */
export type AuditActorRef = Pick<Principal, 'id' | 'username'> | null;

/**
 * The context of an HTTP request: its id (X-Request-Id as the front door gave it, or ours) and
 * `req.ip`, which Express derives from X-Forwarded-For only through TRUSTED_PROXIES.
 */
export function auditContextOf(req: { ip?: string; id?: unknown }): AuditContext {
  const requestId = requestIdOf(req);
  return {
    requestId: requestId === 'unknown' ? null : requestId,
    clientAddress: req.ip ? req.ip.slice(0, 64) : null,
  };
}

import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AuditContext } from '@chat/security';
import type { GatewaySocket } from '../infra/socket-hub';

/** Express's compiled TRUSTED_PROXIES rule: whether `address`, `hop` hops from us, is a proxy we trust. */
type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Where a socket command came from, for the audit log: a fresh request id (`socket:<uuid>`; a
 * socket command has no X-Request-Id) and the client's address, derived from the handshake exactly
 * as Express derives `req.ip` for HTTP: X-Forwarded-For is believed only as far as TRUSTED_PROXIES
 * go, so a client cannot name its own address through a header.
 */
@Injectable()
export class SocketAuditContext {
  constructor(private readonly http: HttpAdapterHost) {}

  of(socket: GatewaySocket): AuditContext {
    return {
      requestId: `socket:${randomUUID()}`,
      clientAddress: this.addressOf(socket)?.slice(0, 64) ?? null,
    };
  }

  private addressOf(socket: GatewaySocket): string | undefined {
    const remote = socket.request.socket?.remoteAddress ?? socket.handshake.address;
    if (!remote) return undefined;
    const trust = this.trust();
    const header = socket.request.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a.length > 0)
      .reverse();
    // Nearest first, as proxy-addr walks it: stop at the first hop that is not a trusted proxy.
    const chain = [remote, ...forwarded];
    let hop = 0;
    while (hop < chain.length - 1 && trust(chain[hop], hop)) hop++;
    return chain[hop];
  }

  private trust(): TrustProxy {
    const app = this.http.httpAdapter?.getInstance<{ get?: (name: string) => unknown }>();
    const fn = app?.get?.('trust proxy fn');
    // Without Express's rule (never in this app), trust no proxy.
    return typeof fn === 'function' ? (fn as TrustProxy) : () => false;
  }
}

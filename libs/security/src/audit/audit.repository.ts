import { Injectable } from '@nestjs/common';
import type { AuditAction, AuditEvent, AuditTarget } from '@chat/contracts';
import { Sql } from '@chat/database';
import type { AuditActorRef, AuditContext } from './audit-context';

/** One entry to append. */
export interface AuditEntry {
  actor: AuditActorRef;
  action: AuditAction;
  target: AuditTarget | null;
  /** What changed; kept small (ids, names, before and after). */
  details?: Record<string, unknown>;
  context: AuditContext;
}

/** Which entries a page holds: all of them filtered, newest first, after the cursor. */
export interface AuditFilter {
  /** The last event id of the page before. */
  after?: string;
  limit: number;
  action?: AuditAction;
  actorId?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
}

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  action: AuditAction;
  target_type: AuditTarget['type'] | null;
  target_id: string | null;
  target_name: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
  client_address: string | null;
}

/**
 * Every statement about the audit log. Services append through `append(tx, …)` with the
 * transaction of the action itself, so an action and its record commit or roll back together.
 * Nothing updates an entry; the table's trigger refuses it, and refuses deleting entries younger
 * than a day, so only `prune` (the retention sweep) removes any.
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly sql: Sql) {}

  async append(tx: Sql, entry: AuditEntry): Promise<void> {
    await tx.rows(
      `INSERT INTO audit_events
         (actor_id, actor_name, action, target_type, target_id, target_name, details, request_id, client_address)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
      [
        entry.actor?.id ?? null,
        entry.actor?.username ?? null,
        entry.action,
        entry.target?.type ?? null,
        entry.target?.id ?? null,
        entry.target?.name ?? null,
        JSON.stringify(entry.details ?? {}),
        entry.context.requestId,
        entry.context.clientAddress,
      ],
    );
  }

  /** One page, newest first; `hasMore` says whether older entries match too. */
  async page(filter: AuditFilter): Promise<{ events: AuditEvent[]; hasMore: boolean }> {
    const rows = await this.sql.rows<AuditRow>(
      `SELECT id, at, actor_id, actor_name, action, target_type, target_id, target_name, details,
              request_id, client_address
         FROM audit_events
        WHERE ($1::uuid IS NULL OR position < (SELECT position FROM audit_events WHERE id = $1))
          AND ($2::text IS NULL OR action = $2)
          AND ($3::uuid IS NULL OR actor_id = $3)
          AND ($4::text IS NULL OR target_id = $4)
          AND ($5::timestamptz IS NULL OR at >= $5)
          AND ($6::timestamptz IS NULL OR at < $6)
        ORDER BY position DESC
        LIMIT $7`,
      [
        filter.after ?? null,
        filter.action ?? null,
        filter.actorId ?? null,
        filter.targetId ?? null,
        filter.since ?? null,
        filter.until ?? null,
        filter.limit + 1,
      ],
    );
    return { events: rows.slice(0, filter.limit).map(toAuditEvent), hasMore: rows.length > filter.limit };
  }

  /** Deletes up to `batch` entries older than `days` days; answers how many went. */
  async prune(days: number, batch: number): Promise<number> {
    const rows = await this.sql.rows<{ id: string }>(
      `DELETE FROM audit_events WHERE id IN (
         SELECT id FROM audit_events WHERE at < now() - $1 * interval '1 day' ORDER BY at LIMIT $2)
       RETURNING id`,
      [days, batch],
    );
    return rows.length;
  }
}

function toAuditEvent(r: AuditRow): AuditEvent {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: { id: r.actor_id, username: r.actor_name },
    action: r.action,
    target: r.target_type ? { type: r.target_type, id: r.target_id, name: r.target_name } : null,
    details: { ...r.details, requestId: r.request_id, clientAddress: r.client_address },
  };
}

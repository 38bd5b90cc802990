import { Injectable } from '@nestjs/common';
import { LIMITS, type AuditPage } from '@chat/contracts';
import type { AuditQueryDto } from '@chat/contracts/dto/admin.dto';
import { AuditRepository } from '@chat/security';

/** Reading the audit log (admins). Entries are written by each action's own transaction. */
@Injectable()
export class AuditLogService {
  constructor(private readonly audit: AuditRepository) {}

  page(query: AuditQueryDto): Promise<AuditPage> {
    return this.audit.page({
      after: query.after,
      limit: query.limit ?? LIMITS.pageLimitDefault,
      action: query.action,
      actorId: query.actorId,
      targetId: query.targetId,
      since: query.since ? new Date(query.since) : undefined,
      until: query.until ? new Date(query.until) : undefined,
    });
  }
}

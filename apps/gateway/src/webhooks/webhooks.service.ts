import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Webhook, WebhookOverviewPage } from '@chat/contracts';
import { LIMITS, WEBHOOK_EVENTS } from '@chat/contracts';
import type { CreateWebhookDto } from '@chat/contracts/dto';
import { AuditRepository, type AuditContext, type Principal } from '@chat/security';
import { ChannelAccess } from '../channels/channel-access';
import { ChannelsService } from '../channels/channels.service';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { assertDeliverableUrl } from './outgoing/deliverable-url';
import type { WebhookCreated } from '@chat/contracts';
import { toWebhookDto } from './webhook.mapper';
import {
  hashWebhookSecret,
  newWebhookSecret,
  WEBHOOKS_PER_CHANNEL_MAX,
  webhookUsername,
} from './webhook-secrets';
import { WebhookErrors } from './webhooks.errors';
import { WebhooksRepository, type WithinTransaction } from './webhooks.repository';

/** Usernames tried for an incoming webhook's account before giving up (4 random hex digits each). */
const USERNAME_ATTEMPTS = 8;

/**
 * A channel's webhooks, managed by whoever may moderate it (owner, moderator, admin). An incoming
 * one posts as an account of its own, which is a member of the channel (so every rule about
 * members applies to its messages: seq, fan-out, mentions, notifications).
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly access: ChannelAccess,
    private readonly channels: ChannelsService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Incoming without `url`; outgoing with it. The secret (URL or signing key) is shown this once.
   * Audited (`context`: where the request came from) in the creation's transaction.
   */
  async create(
    actor: Principal,
    channelId: string,
    dto: CreateWebhookDto,
    context: AuditContext,
  ): Promise<WebhookCreated> {
    await this.access.check(actor, channelId, 'moderate');
    const audited = this.audited(actor, 'webhook.created', context);
    if (dto.url === undefined) {
      if (dto.events !== undefined) throw WebhookErrors.eventsWithoutUrl();
      return this.createIncoming(actor, channelId, dto.name, audited, context);
    }
    return this.createOutgoing(actor, channelId, dto.name, dto.url, dto.events, audited);
  }

  /** Every channel's webhooks, newest first, without secrets (admins: the route is theirs only). */
  async overview(after: string | undefined, limit?: number): Promise<WebhookOverviewPage> {
    const max = limit ?? LIMITS.pageLimitDefault;
    const rows = await this.webhooks.overview(after, max + 1);
    return {
      webhooks: rows.slice(0, max).map((row) => ({
        ...toWebhookDto(row),
        channelName: row.channelName,
        createdByUsername: row.createdByUsername,
      })),
      hasMore: rows.length > max,
    };
  }

  async list(actor: Principal, channelId: string): Promise<Webhook[]> {
    await this.access.check(actor, channelId, 'moderate');
    return (await this.webhooks.list(channelId)).map((row) => toWebhookDto(row));
  }

  /**
   * Its URL answers 404 from the moment this returns, on every replica (nothing caches it). Audited
   * as `webhook.revoked` in the deletion's transaction.
   */
  async remove(actor: Principal, channelId: string, webhookId: string, context: AuditContext): Promise<void> {
    await this.access.check(actor, channelId, 'moderate');
    const row = await this.webhooks.remove(
      channelId,
      webhookId,
      this.audited(actor, 'webhook.revoked', context),
    );
    if (!row) throw WebhookErrors.notFound();
    // Its account leaves the member list (and everyone sees it leave); its messages stay. Part of
    // the revocation recorded above, not a member removal of its own.
    if (row.userId) await this.channels.removeMember(actor, channelId, row.userId, null);
  }

  /** The audit record of a webhook's creation or deletion, written in its transaction. */
  private audited(
    actor: Principal,
    action: 'webhook.created' | 'webhook.revoked',
    context: AuditContext,
  ): WithinTransaction {
    return (tx, row) =>
      this.audit.append(tx, {
        actor: { id: actor.id, username: actor.username },
        action,
        target: { type: 'webhook', id: row.id, name: row.name },
        details: { channelId: row.channelId, kind: row.kind },
        context,
      });
  }

  private async createIncoming(
    actor: Principal,
    channelId: string,
    name: string,
    audited: WithinTransaction,
    context: AuditContext,
  ): Promise<WebhookCreated> {
    const secret = newWebhookSecret();
    const row = await this.webhooks.createIncoming(
      {
        channelId,
        name,
        secretHash: hashWebhookSecret(secret),
        createdBy: actor.id,
        usernames: Array.from({ length: USERNAME_ATTEMPTS }, () => webhookUsername(name)),
        max: WEBHOOKS_PER_CHANNEL_MAX,
      },
      audited,
    );
    if (row === 'full') throw WebhookErrors.tooMany();
    if (!row) throw new Error(`no free username for webhook "${name}" after ${USERNAME_ATTEMPTS} tries`);
    try {
      // Through the channel context, so the channel's members see the account join.
      await this.channels.addMember(actor, channelId, row.userId!);
    } catch (err) {
      // The caller lost the right to add members in between: no webhook without its membership
      // (and its creation's record is followed by its revocation's).
      await this.webhooks
        .remove(channelId, row.id, this.audited(actor, 'webhook.revoked', context))
        .catch((undo: unknown) => this.logger.error({ err: undo }, 'could not undo a webhook'));
      throw err;
    }
    return toWebhookDto(row, `${this.config.publicUrl}/hooks/${row.id}/${secret}`);
  }

  private async createOutgoing(
    actor: Principal,
    channelId: string,
    name: string,
    url: string,
    events: string[] | undefined,
    audited: WithinTransaction,
  ): Promise<WebhookCreated> {
    if (events !== undefined && events.length === 0) throw WebhookErrors.noEvents();
    const target = await assertDeliverableUrl(url, this.config.webhooks.allowedHosts);
    const secret = newWebhookSecret();
    const row = await this.webhooks.createOutgoing(
      {
        channelId,
        name,
        targetUrl: target.toString(),
        events: events ?? [...WEBHOOK_EVENTS],
        secret,
        createdBy: actor.id,
        max: WEBHOOKS_PER_CHANNEL_MAX,
      },
      audited,
    );
    if (row === 'full') throw WebhookErrors.tooMany();
    return { ...toWebhookDto(row), secret };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { PushKey } from '@chat/contracts';
import type { PushSubscriptionDto } from '@chat/contracts/dto';
import type { Principal } from '@chat/security';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { endpointProblem } from './push-endpoint';
import { decodeBase64Url, isP256Point } from './push-keys';
import { PushErrors } from './push.errors';
import { PushRepository } from './push.repository';

/** Subscriptions kept per user (browsers and devices); subscribing past it drops the oldest. */
export const SUBSCRIPTIONS_PER_USER = 20;

/** Web Push subscriptions: the key browsers subscribe with, and where each user's pushes go. */
@Injectable()
export class PushService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly repo: PushRepository,
  ) {}

  publicKey(): PushKey {
    const { vapidPublicKey, vapidPrivateKey } = this.config.push;
    if (!vapidPublicKey || !vapidPrivateKey) throw PushErrors.notConfigured();
    return { publicKey: vapidPublicKey };
  }

  /**
   * Saves the caller's subscription (by endpoint; one that belonged to someone else is theirs now).
   * The keys are decoded and checked here, not only matched by pattern, so no row the worker could
   * never encrypt to is stored.
   */
  async subscribe(user: Principal, dto: PushSubscriptionDto): Promise<void> {
    this.publicKey();
    const problem = endpointProblem(dto.endpoint, this.config.webhooks.allowedHosts);
    if (problem) throw PushErrors.badEndpoint(problem);
    const p256dh = decodeBase64Url(dto.keys.p256dh);
    if (!p256dh || !isP256Point(p256dh)) throw PushErrors.badP256dh();
    const auth = decodeBase64Url(dto.keys.auth);
    if (!auth || auth.length !== 16) throw PushErrors.badAuth();
    // Stored in the canonical spelling (no padding), which is what web-push reads.
    await this.repo.subscribe(
      user.id,
      dto.endpoint,
      p256dh.toString('base64url'),
      auth.toString('base64url'),
      SUBSCRIPTIONS_PER_USER,
    );
  }

  /** Removes the caller's own subscription at `endpoint`; an unknown or foreign one is left as it is. */
  unsubscribe(user: Principal, endpoint: string): Promise<void> {
    return this.repo.unsubscribe(user.id, endpoint);
  }
}

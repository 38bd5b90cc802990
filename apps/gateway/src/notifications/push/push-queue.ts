import { Inject, Injectable } from '@nestjs/common';
import type { Notification } from '@chat/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { pushPayload } from './push-sender';
import { PushWorker } from './push-worker';
import { PushRepository } from './push.repository';

/** Where notifications for users with no socket connected go to reach their devices. */
@Injectable()
export class PushQueue {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly repo: PushRepository,
    private readonly worker: PushWorker,
  ) {}

  /**
   * Queues `notification` for every Web Push subscription of `userIds`, durably (a replica that
   * dies afterwards loses nothing). A channel's pending push to a device is replaced, not added
   * to. Nothing is queued when Web Push is not configured.
   */
  async enqueue(userIds: string[], notification: Notification): Promise<void> {
    if (!this.worker.enabled || userIds.length === 0) return;
    const payload = pushPayload(notification, this.config.publicUrl);
    const queued = await this.repo.enqueue([...new Set(userIds)], notification.channelId, payload);
    if (queued > 0) this.worker.wake();
  }
}

/**
 * How a webhook's failing head event is retried. Exponential backoff with jitter so that the
 * receivers of a whole cluster, back after an outage, are not hit by every replica in lockstep; the
 * window is long enough to ride out a day's outage of the receiver (the contract asks for at least
 * an hour).
 */
export const RETRY_POLICY = {
  /** The first retry comes after between half of this and this. */
  baseMs: 1_000,
  /** The longest wait between two attempts. */
  maxDelayMs: 10 * 60_000,
  /**
   * An event that still fails this long after it entered its webhook's queue is marked failed and
   * the queue moves on to the next one (strict order otherwise: nothing after it is sent before).
   */
  windowMs: 24 * 60 * 60_000,
} as const;

export type RetryPolicy = { baseMs: number; maxDelayMs: number; windowMs: number };

/**
 * The wait before attempt `attempts + 1`, after `attempts` failures (1 or more): base · 2^(n−1),
 * capped, then drawn uniformly from its upper half ("equal jitter": never much earlier than the
 * schedule, never in lockstep with another webhook's retries).
 */
export function retryDelayMs(
  attempts: number,
  policy: RetryPolicy = RETRY_POLICY,
  random = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Whether a failed event has used up its window and is given up on. */
export function retryWindowOver(enqueuedAt: Date, now: Date, policy: RetryPolicy = RETRY_POLICY): boolean {
  return now.getTime() - enqueuedAt.getTime() >= policy.windowMs;
}

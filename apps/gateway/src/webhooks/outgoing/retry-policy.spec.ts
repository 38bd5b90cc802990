import { RETRY_POLICY, retryDelayMs, retryWindowOver } from './retry-policy';

describe('retry policy', () => {
  it('doubles from 1 s, with jitter in the upper half, capped at 10 minutes', () => {
    expect(retryDelayMs(1, RETRY_POLICY, () => 0)).toBe(500);
    expect(retryDelayMs(1, RETRY_POLICY, () => 1)).toBe(1000);
    expect(retryDelayMs(2, RETRY_POLICY, () => 1)).toBe(2000);
    expect(retryDelayMs(5, RETRY_POLICY, () => 0.5)).toBe(12_000);
    expect(retryDelayMs(40, RETRY_POLICY, () => 1)).toBe(10 * 60_000);
    expect(retryDelayMs(1000, RETRY_POLICY, () => 0)).toBe(5 * 60_000);
  });

  it('keeps trying for the whole window (far more than the hour the contract asks for)', () => {
    let elapsed = 0;
    let attempts = 0;
    const start = new Date(0);
    while (!retryWindowOver(start, new Date(elapsed))) {
      attempts++;
      elapsed += retryDelayMs(attempts, RETRY_POLICY, () => 1);
    }
    expect(elapsed).toBeGreaterThanOrEqual(24 * 60 * 60_000);
    // Most of a day at one attempt per 10 minutes at most: a receiver back is found within 10 min.
    expect(attempts).toBeGreaterThan(140);
    expect(retryWindowOver(start, new Date(60 * 60_000))).toBe(false);
  });
});

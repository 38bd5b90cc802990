import { LIMITS } from '@chat/contracts';

/**
 * A username the contract accepts (3–32 of [A-Za-z0-9_.-]) made from what the provider says about
 * the person: accents dropped (José → Jose), every run of other characters one `_`, no `_` at
 * either end. Falls back to the address's local part, then to `user`.
 */
export function usernameFrom(claims: { preferred_username?: unknown; email?: unknown }): string {
  const candidates = [
    claims.preferred_username,
    typeof claims.email === 'string' ? claims.email.split('@')[0] : null,
  ];
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    const clean = c
      // Bounded before the regexes: the claim comes from outside.
      .slice(0, 256)
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, LIMITS.usernameMax);
    if (clean.length >= LIMITS.usernameMin) return clean;
  }
  return 'user';
}

/** The `n`th alternative when `base` is taken: `alice_2`, `alice_3`…, cut to fit 32 characters. */
export function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, LIMITS.usernameMax - suffix.length - 1)}_${suffix}`;
}

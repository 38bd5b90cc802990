import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A JWT assembled by hand, so nothing (not even a library's own checks) stops a forgery. */
export function rawJwt(header: object, payload: object, sign: (input: string) => string | Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = sign(input);
  return `${input}.${typeof signature === 'string' ? signature : b64url(signature)}`;
}

/** ES256 over `input` with `key`, in JOSE form (r||s, 64 bytes). */
export function es256(key: KeyObject, input: string): Buffer {
  return createSign('SHA256').update(input).sign({ key, dsaEncoding: 'ieee-p1363' });
}

export function hs256(secret: string | Buffer, input: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function otherKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** Claims like the auth service's (sub, username, roles, iss, aud, iat, exp, jti, typ). */
export function claimsFor(
  user: { id: string; username: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: user.id,
    username: user.username,
    roles: ['member'],
    iss: 'chat-auth',
    aud: 'chat',
    iat: now,
    exp: now + 600,
    jti: `t-${Math.random().toString(36).slice(2)}`,
    typ: 'access',
    ...overrides,
  };
}

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyResolver } from '@chat/security';

export interface Jwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  use: 'sig';
  alg: 'ES256';
}

interface PublicKeyEntry {
  kid: string;
  pem: string;
  jwk: Jwk;
}

/** RFC 7638 thumbprint: a stable `kid` derived from the key itself. */
function thumbprint(key: KeyObject): string {
  const { crv, kty, x, y } = key.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

function toEntry(publicKey: KeyObject): PublicKeyEntry {
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' }) as {
    crv: string;
    kty: string;
    x: string;
    y: string;
  };
  if (kty !== 'EC' || crv !== 'P-256') throw new Error('signing keys must be EC P-256 (ES256)');
  const kid = thumbprint(publicKey);
  return {
    kid,
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk: { kty, crv, x, y, kid, use: 'sig', alg: 'ES256' },
  };
}

function splitPems(text: string): string[] {
  return text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
}

export interface KeyStoreOptions {
  privateKey: string;
  previousPublicKeys: string;
  keysDir: string;
}

/**
 * The auth service's ES256 signing keys: the current private key and the public keys of earlier
 * ones (served in the JWKS until tokens they signed have expired). From config in production; in
 * local mode generated once and kept under the data directory.
 */
export class KeyStore implements KeyResolver {
  readonly current: { kid: string; privateKey: KeyObject };
  private readonly publicKeys = new Map<string, PublicKeyEntry>();

  private constructor(privateKey: KeyObject, previous: KeyObject[]) {
    const entry = toEntry(createPublicKey(privateKey));
    this.current = { kid: entry.kid, privateKey };
    this.publicKeys.set(entry.kid, entry);
    for (const key of previous) {
      const e = toEntry(key);
      if (!this.publicKeys.has(e.kid)) this.publicKeys.set(e.kid, e);
    }
  }

  static load(opts: KeyStoreOptions): KeyStore {
    const previous = splitPems(opts.previousPublicKeys).map((pem) => createPublicKey(pem));
    if (opts.privateKey.trim()) {
      return new KeyStore(createPrivateKey(opts.privateKey.replace(/\\n/g, '\n')), previous);
    }
    mkdirSync(opts.keysDir, { recursive: true, mode: 0o700 });
    const currentPath = join(opts.keysDir, 'current.pem');
    if (!existsSync(currentPath)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(currentPath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    }
    const previousPath = join(opts.keysDir, 'previous.pem');
    if (existsSync(previousPath)) {
      previous.push(...splitPems(readFileSync(previousPath, 'utf8')).map((pem) => createPublicKey(pem)));
    }
    return new KeyStore(createPrivateKey(readFileSync(currentPath, 'utf8')), previous);
  }

  /** JWKS document: current key first, then previous ones. */
  jwks(): { keys: Jwk[] } {
    return { keys: [...this.publicKeys.values()].map((e) => e.jwk) };
  }

  publicKey(kid: string): Promise<string> {
    const entry = this.publicKeys.get(kid);
    return entry ? Promise.resolve(entry.pem) : Promise.reject(new Error('unknown kid'));
  }
}

import { JwksClient } from 'jwks-rsa';

/** Finds the public key (PEM) for a token's `kid`. */
export interface KeyResolver {
  publicKey(kid: string): Promise<string>;
}

/**
 * Keys from the auth service's JWKS: cached, and refetched when a token names an unknown `kid`
 * (a key rotation), at most a few times a minute so forged kids cannot hammer the auth service.
 */
export class JwksKeyResolver implements KeyResolver {
  private readonly client: JwksClient;

  constructor(jwksUri: string) {
    this.client = new JwksClient({
      jwksUri,
      cache: true,
      cacheMaxEntries: 10,
      cacheMaxAge: 10 * 60 * 1000,
      rateLimit: true,
      jwksRequestsPerMinute: 10,
      timeout: 5000,
    });
  }

  async publicKey(kid: string): Promise<string> {
    const key = await this.client.getSigningKey(kid);
    return key.getPublicKey();
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Me } from '@chat/contracts';
import type { UpdateMeDto } from '@chat/contracts/dto';
import { toUserDto } from '@chat/domain';
import { hashEmailToken, Mailer, newEmailToken, VERIFY_TOKEN_TTL_MS, verifyEmailUrl } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { SignInSettingsService } from '../settings/sign-in-settings.service';
import { EmailErrors } from './email.errors';
import { EmailRepository, type MeRecord } from './email.repository';
import { VerificationThrottle } from './verification-throttle';
import { verificationMail } from './verification-mail';

/** A bare address: what nodemailer will treat as exactly one recipient (IsEmail also admits quoted local parts). */
const PLAIN_ADDRESS = /^[^\s@",;<>()[\]\\:]+@[^\s@",;<>()[\]\\:]+$/;

/** The outcome of a link, as the web client's settings page is told (`#/settings?email=…`). */
export type LinkOutcome = 'verified' | 'invalid';

/** The only way the caller's own account leaves the service: a whitelist, as toUserDto is. */
export function toMeDto(me: MeRecord, requireTotp: boolean): Me {
  return {
    ...toUserDto(me),
    email: me.email,
    emailVerified: me.email !== null && me.emailVerifiedAt !== null,
    emailNotifications: me.emailNotifications,
    totp: me.totp,
    // Bots (a token) and single sign-on accounts (the provider's own factors) are not asked.
    totpRequired: requireTotp && !me.bot && me.hasPassword,
  };
}

/**
 * The local part as typed (it may be case-sensitive, RFC 5321 2.4), the domain lower-cased (it is
 * not), so `Alice@Example.COM` and `Alice@example.com` are one address.
 */
export function normalizeEmail(raw: string): string {
  const email = raw.trim();
  const at = email.lastIndexOf('@');
  const normalized = `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`;
  if (at <= 0 || !PLAIN_ADDRESS.test(normalized)) throw EmailErrors.notPlainAddress();
  return normalized;
}

/**
 * A user's email address and its verification, and the links of the emails we send: nothing is
 * mailed to an address before its owner opened the link sent to it, and anyone holding a digest's
 * unsubscribe link can stop the digests.
 */
@Injectable()
export class EmailService {
  private readonly logger = new Logger(EmailService.name);

  constructor(
    private readonly repo: EmailRepository,
    private readonly throttle: VerificationThrottle,
    private readonly mailer: Mailer,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly signInSettings: SignInSettingsService,
  ) {}

  async me(userId: string): Promise<Me> {
    const me = await this.repo.findMe(userId);
    if (!me) throw EmailErrors.userNotFound();
    return toMeDto(me, (await this.signInSettings.get()).requireTotp);
  }

  /** `PATCH /auth/me`: the address first, so a refused address changes nothing else. */
  async update(userId: string, dto: UpdateMeDto): Promise<Me> {
    if (dto.email === null || dto.email === '') await this.repo.clearAddress(userId);
    else if (dto.email !== undefined) await this.setAddress(userId, normalizeEmail(dto.email));
    if (dto.emailNotifications !== undefined)
      await this.repo.setNotifications(userId, dto.emailNotifications);
    return this.me(userId);
  }

  /** Spends a verification link's token. Anything wrong with it is just `invalid`. */
  async verify(token: unknown): Promise<LinkOutcome> {
    const hash = hashEmailToken(token);
    if (!hash) return 'invalid';
    return (await this.repo.verify(hash)) ? 'verified' : 'invalid';
  }

  /** Whether an unsubscribe link is live (its confirmation page changes nothing). */
  async unsubscribeLinkLive(token: unknown): Promise<boolean> {
    const hash = hashEmailToken(token);
    return hash !== null && (await this.repo.unsubscribeTokenLive(hash));
  }

  /** Turns the link's user's digests off; false for a link that is not (or no longer) live. */
  async unsubscribe(token: unknown): Promise<boolean> {
    const hash = hashEmailToken(token);
    return hash !== null && (await this.repo.unsubscribe(hash));
  }

  /**
   * Stores the address unverified and mails a link to it; the address already verified is a
   * no-op (no email, no rate-limit point). Saving the same unverified address again sends a new
   * link, which replaces the old one.
   */
  private async setAddress(userId: string, email: string): Promise<void> {
    const current = await this.repo.findMe(userId);
    if (!current) throw EmailErrors.userNotFound();
    if (current.email === email && current.emailVerifiedAt) return;
    await this.throttle.consume(userId);
    const { token, hash } = newEmailToken();
    const stored = await this.repo.replaceAddress(
      userId,
      email,
      hash,
      new Date(Date.now() + VERIFY_TOKEN_TTL_MS),
    );
    if (!stored) throw EmailErrors.userNotFound();
    if (stored.minted) await this.sendVerification(stored.me, email, token);
  }

  private async sendVerification(me: MeRecord, email: string, token: string): Promise<void> {
    const link = verifyEmailUrl(this.config.publicUrl, token);
    if (!this.mailer.configured) {
      // The operator of a local install without SMTP can still verify by hand. Never in
      // production: the link is a credential for the address, and logs travel far.
      if (this.config.nodeEnv === 'development') {
        this.logger.log(`email is not configured; verification link for ${me.username}: ${link}`);
      } else {
        this.logger.log(`email is not configured: no verification email sent to ${me.username}`);
      }
      return;
    }
    try {
      await this.mailer.send(verificationMail(email, me.username, link));
    } catch (err) {
      this.logger.warn({ err, userId: me.id }, 'verification email not sent');
      throw EmailErrors.notSent();
    }
  }
}

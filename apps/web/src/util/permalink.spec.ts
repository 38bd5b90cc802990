import {
  channelHash,
  emailOutcome,
  isSettingsRoute,
  parseRoute,
  permalinkHash,
  permalinkUrl,
} from './permalink';

describe('routes in the URL hash', () => {
  const id = '0b9a6b0e-5c1f-4b7e-9d1a-2f0e3c4d5e6f';

  it('reads a channel and a permalink', () => {
    expect(parseRoute(`#/c/${id}`)).toEqual({ channelId: id });
    expect(parseRoute(`#/c/${id}/m/42`)).toEqual({ channelId: id, seq: 42 });
    expect(parseRoute(permalinkHash(id, 7))).toEqual({ channelId: id, seq: 7 });
    expect(parseRoute(channelHash(id))).toEqual({ channelId: id });
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      '#',
      '#/c/',
      `#/c/${id}/m/0`,
      `#/c/${id}/m/-1`,
      `#/c/${id}/m/1e3`,
      `#/c/${id}/m/99999999999999999`,
      `#/c/${id}/x/1`,
      '#/c/<script>/m/1',
      '#/c/a%2Fb',
      `#/c/${'a'.repeat(65)}`,
    ]) {
      expect(parseRoute(bad)).toBeNull();
    }
  });

  it('builds the link to share', () => {
    expect(permalinkUrl('https://chat.example', '/', id, 3)).toBe(`https://chat.example/#/c/${id}/m/3`);
  });

  it('reads the settings route and the email verification outcome', () => {
    expect(isSettingsRoute('#/settings')).toBe(true);
    expect(isSettingsRoute('#/settings?email=verified')).toBe(true);
    expect(isSettingsRoute('#/settingsx')).toBe(false);
    expect(parseRoute('#/settings')).toBeNull();
    expect(emailOutcome('#/settings?email=verified')).toBe('verified');
    expect(emailOutcome('#/settings?email=invalid&x=1')).toBe('invalid');
    expect(emailOutcome('#/settings?email=<script>')).toBeNull();
    expect(emailOutcome('#/settings')).toBeNull();
    expect(emailOutcome(`#/c/${id}?email=verified`)).toBeNull();
  });
});

import type { SocketHub } from '../infra/socket-hub';
import { PresenceAnnouncer } from './presence-announcer';

describe('PresenceAnnouncer', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const sent: { channelIds: string[]; payload: unknown }[] = [];
  const hub = {
    toChannels: (channelIds: string[], _except: string, _event: string, payload: unknown) =>
      void sent.push({ channelIds, payload }),
  } as unknown as SocketHub;
  const ann = { id: 'a', username: 'ann' };
  const bob = { id: 'b', username: 'bob' };

  beforeEach(() => (sent.length = 0));

  it('sends each transition once per turn, a flap not at all', async () => {
    const announcer = new PresenceAnnouncer(hub);
    announcer.announce(ann, ['c1'], true);
    announcer.announce(ann, ['c2'], true);
    announcer.announce(bob, ['c1'], false);
    announcer.announce(bob, ['c1'], true);
    expect(sent).toEqual([]);
    await tick();
    expect(sent).toEqual([
      { channelIds: ['c1', 'c2'], payload: { userId: 'a', username: 'ann', online: true } },
    ]);
    announcer.announce(bob, ['c1'], false);
    await tick();
    expect(sent[1]).toEqual({ channelIds: ['c1'], payload: { userId: 'b', username: 'bob', online: false } });
  });
});

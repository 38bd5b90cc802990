import type { SocketHub } from '../infra/socket-hub';
import { PresenceAnnouncer } from './presence-announcer';

describe('PresenceAnnouncer', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const sent: { userId: string; payload: unknown }[] = [];
  const hub = {
    toPresenceSubscribers: (userId: string, _event: string, payload: unknown) =>
      void sent.push({ userId, payload }),
  } as unknown as SocketHub;
  const ann = { id: 'a', username: 'ann' };
  const bob = { id: 'b', username: 'bob' };

  beforeEach(() => (sent.length = 0));

  it("sends each transition once per turn to the user's subscribers, a flap not at all", async () => {
    const announcer = new PresenceAnnouncer(hub);
    announcer.announce(ann, true);
    announcer.announce(ann, true);
    announcer.announce(bob, false);
    announcer.announce(bob, true);
    expect(sent).toEqual([]);
    await tick();
    expect(sent).toEqual([{ userId: 'a', payload: { userId: 'a', username: 'ann', online: true } }]);
    announcer.announce(bob, false);
    await tick();
    expect(sent[1]).toEqual({ userId: 'b', payload: { userId: 'b', username: 'bob', online: false } });
  });
});

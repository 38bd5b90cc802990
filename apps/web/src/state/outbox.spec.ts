import { alice, bob, msg } from '../testing/fixtures';
import {
  enqueue,
  forChannel,
  markFailed,
  markSending,
  newClientId,
  reconcile,
  remove,
  restore,
  toSend,
} from './outbox';

const draft = (clientId: string, channelId = 'c1') => ({
  clientId,
  channelId,
  body: `text ${clientId}`,
  attachments: [],
  createdAt: '2025-01-01T00:00:00.000Z',
});

describe('offline queue', () => {
  it('queues messages in the order they were written', () => {
    const box = enqueue(enqueue(enqueue([], draft('a')), draft('b')), draft('c', 'c2'));
    expect(toSend(box).map((p) => p.clientId)).toEqual(['a', 'b', 'c']);
    expect(forChannel(box, 'c1').map((p) => p.clientId)).toEqual(['a', 'b']);
  });

  it('does not queue the same clientId twice', () => {
    const box = enqueue([], draft('a'));
    expect(enqueue(box, draft('a'))).toBe(box);
  });

  it('skips entries in flight and refused ones on the next flush', () => {
    let box = enqueue(enqueue(enqueue([], draft('a')), draft('b')), draft('c'));
    box = markSending(box, 'a');
    box = markFailed(box, 'b', 'Not allowed');
    expect(toSend(box).map((p) => p.clientId)).toEqual(['c']);
    expect(box.find((p) => p.clientId === 'b')).toMatchObject({ status: 'failed', error: 'Not allowed' });
  });

  it('drops a pending entry when our confirmed message with its clientId arrives', () => {
    const box = enqueue(enqueue([], draft('a')), draft('b'));
    const confirmed = msg(7, {
      clientId: 'a',
      author: { id: alice.id, username: alice.username, bot: false },
    });
    expect(reconcile(box, [confirmed], alice.id).map((p) => p.clientId)).toEqual(['b']);
  });

  it("ignores someone else's message that happens to carry the same clientId", () => {
    const box = enqueue([], draft('a'));
    const theirs = msg(7, { clientId: 'a', author: { id: bob.id, username: bob.username, bot: false } });
    expect(reconcile(box, [theirs], alice.id)).toBe(box);
  });

  it('restores a persisted queue, resending what was in flight and dropping junk', () => {
    const saved = JSON.stringify([
      { ...draft('a'), status: 'sending' },
      { ...draft('b'), status: 'failed', error: 'x' },
      { nonsense: true },
      null,
    ]);
    const box = restore(saved);
    expect(box.map((p) => [p.clientId, p.status])).toEqual([
      ['a', 'queued'],
      ['b', 'failed'],
    ]);
    expect(restore('not json')).toEqual([]);
    expect(restore(null)).toEqual([]);
  });

  it('removes by clientId', () => {
    const box = enqueue(enqueue([], draft('a')), draft('b'));
    expect(remove(box, 'a').map((p) => p.clientId)).toEqual(['b']);
    expect(remove(box, 'zzz')).toBe(box);
  });

  it('makes client ids that fit the contract limit', () => {
    expect(newClientId().length).toBeLessThanOrEqual(64);
    expect(newClientId()).not.toBe(newClientId());
  });
});

import type { GatewaySocket } from './socket-hub';
import { SocketRounds } from './socket-rounds';

const socket = (id: string) => ({ id, data: {} }) as unknown as GatewaySocket;
const sockets = (n: number, from = 0) => Array.from({ length: n }, (_, i) => socket(`s${from + i}`));

describe('SocketRounds', () => {
  it('visits every socket exactly once per period, a slice per tick', async () => {
    const all = sockets(5000);
    const visits = new Map<string, number>();
    const sizes: number[] = [];
    const rounds = new SocketRounds({
      periodMs: 10_000,
      sockets: () => all,
      visit: (due) => {
        sizes.push(due.length);
        for (const s of due) visits.set(s.id, (visits.get(s.id) ?? 0) + 1);
        return Promise.resolve();
      },
      onError: () => undefined,
    });
    expect(rounds.slices).toBe(40);
    for (let i = 0; i < rounds.slices; i++) await rounds.tick();
    expect(visits.size).toBe(5000);
    expect([...visits.values()].every((n) => n === 1)).toBe(true);
    // About 125 each, never the whole replica: the point of the slices.
    expect(Math.max(...sizes)).toBeLessThan(200);
    for (let i = 0; i < rounds.slices; i++) await rounds.tick();
    expect([...visits.values()].every((n) => n === 2)).toBe(true);
  });

  it('visits a socket that connected mid-round within one period, and never one that left', async () => {
    let live = sockets(300);
    const visited: string[] = [];
    const rounds = new SocketRounds({
      periodMs: 1000,
      sockets: () => live,
      visit: (due) => {
        visited.push(...due.map((s) => s.id));
        return Promise.resolve();
      },
      onError: () => undefined,
    });
    for (let i = 0; i < rounds.slices / 2; i++) await rounds.tick();
    const gone = new Set(live.slice(0, 100).map((s) => s.id));
    live = [...live.slice(100), ...sockets(100, 1000)];
    visited.length = 0;
    for (let i = 0; i < rounds.slices; i++) await rounds.tick();
    expect(new Set(visited)).toEqual(new Set(live.map((s) => s.id)));
    expect(visited.some((id) => gone.has(id))).toBe(false);
  });

  it('takes the slices that came due during a slow visit in the next one, so the period holds', async () => {
    const all = sockets(400);
    const visits: string[][] = [];
    let release!: () => void;
    const rounds = new SocketRounds({
      periodMs: 1000,
      sockets: () => all,
      visit: (due) => {
        visits.push(due.map((s) => s.id));
        // The first visit is slow: a Redis round trip longer than two ticks.
        return visits.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      onError: () => undefined,
    });
    const first = rounds.tick();
    await rounds.tick();
    await rounds.tick();
    expect(visits).toHaveLength(1);
    release();
    await first;
    // One period of ticks in all: the next visit takes the two slices owed with its own.
    for (let i = 3; i < rounds.slices; i++) await rounds.tick();
    const seen = visits.flat();
    expect(seen).toHaveLength(400);
    expect(new Set(seen).size).toBe(400);
    expect(visits).toHaveLength(rounds.slices - 2);
  });

  it('reports a failed visit and goes on with the next slice', async () => {
    const errors: unknown[] = [];
    const visited: number[] = [];
    let calls = 0;
    const rounds = new SocketRounds({
      periodMs: 1000,
      sockets: () => sockets(400),
      visit: (due) => {
        if (calls++ === 0) return Promise.reject(new Error('redis down'));
        visited.push(due.length);
        return Promise.resolve();
      },
      onError: (err) => errors.push(err),
    });
    await expect(rounds.tick()).resolves.toBeUndefined();
    await rounds.tick();
    expect(errors).toEqual([new Error('redis down')]);
    expect(visited).toHaveLength(1);
  });

  it('keeps one slice when the period is shorter than a tick', () => {
    const rounds = new SocketRounds({
      periodMs: 100,
      sockets: () => [],
      visit: () => Promise.resolve(),
      onError: () => undefined,
    });
    expect(rounds.slices).toBe(1);
  });
});

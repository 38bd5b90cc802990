import type { EventBus } from '@chat/platform';
import { Authenticator, UserStatusService, type TokenVerifier, type UserStatus } from '@chat/security';
import type { ChannelsService } from '../channels/channels.service';
import type { GatewaySocket, SocketHub } from '../infra/socket-hub';
import type { PresenceService } from '../presence/presence.service';
import type { TypingService } from '../presence/typing.service';
import type { UsersService } from '../users/users.service';
import { SocketSessions } from './socket-sessions';

type UserStatusRepository = ConstructorParameters<typeof UserStatusService>[0];
type BotTokens = ConstructorParameters<typeof Authenticator>[2];

/** The users table as the status cache reads it, with a switch to make the next read fail. */
function usersTable() {
  const rows = new Map<string, UserStatus>([
    ['u1', { username: 'ana', roles: ['member'], banned: false, totpSetupRequired: false }],
  ]);
  let failing = false;
  const repo = {
    statusOfMany: (ids: readonly string[]) =>
      failing
        ? Promise.reject(new Error('connection terminated'))
        : Promise.resolve(new Map([...rows].filter(([id]) => ids.includes(id)))),
  } as unknown as UserStatusRepository;
  return { rows, repo, fail: () => (failing = true) };
}

/** An event bus whose handlers the test calls, as if the auth service had published. */
function eventBus() {
  const handlers = new Map<string, ((payload: { userId: string }) => void)[]>();
  const bus = {
    subscribe: (topic: string, handler: (payload: { userId: string }) => void) =>
      handlers.set(topic, [...(handlers.get(topic) ?? []), handler]),
  } as unknown as EventBus;
  return { bus, emit: (topic: string, userId: string) => handlers.get(topic)?.forEach((h) => h({ userId })) };
}

/** A connected socket as SocketSessions uses it, recording what it was told. */
function socketOf(userId: string) {
  const told: string[] = [];
  const socket = {
    id: `s-${userId}`,
    connected: true,
    rooms: new Set<string>(),
    data: { user: { id: userId, username: 'ana', roles: ['member'], exp: 4_000_000_000 }, channelIds: [] },
    join: (rooms: string | string[]) => {
      for (const room of [rooms].flat()) socket.rooms.add(room);
    },
    leave: (room: string) => socket.rooms.delete(room),
    once: () => socket,
    emit: (event: string) => told.push(event),
    disconnect: () => {
      told.push('disconnect');
      socket.connected = false;
    },
  };
  return { socket: socket as unknown as GatewaySocket, told };
}

describe('SocketSessions, a ban that lands during the handshake', () => {
  async function setUp() {
    const table = usersTable();
    const events = eventBus();
    const status = new UserStatusService(table.repo, events.bus);
    status.onModuleInit();
    const authenticator = new Authenticator({} as TokenVerifier, status, {} as BotTokens);
    const sessions = new SocketSessions(
      authenticator,
      { memberChannelIds: () => Promise.resolve([]) } as unknown as ChannelsService,
      { connected: () => Promise.resolve() } as unknown as PresenceService,
      {} as TypingService,
      // The ban handler looks for the user's sockets in `user:<id>`: none yet, mid-handshake.
      { localSocketsOf: () => [] } as unknown as SocketHub,
      { draining: false },
      {} as UsersService,
      events.bus,
    );
    sessions.onModuleInit();
    // The handshake's status read: ana is not banned, and that is cached.
    await authenticator.principalFor({ sub: 'u1', exp: 4_000_000_000 });
    return { table, events, sessions };
  }

  it('ends the socket once it is in its rooms, though the ban event found no socket', async () => {
    const { table, events, sessions } = await setUp();
    const { socket, told } = socketOf('u1');
    // Banned, and the event arrives before the socket has joined `user:u1`.
    table.rows.set('u1', { ...table.rows.get('u1')!, banned: true });
    events.emit('user.banned', 'u1');
    sessions.connected(socket);
    await sessions.ready(socket);
    expect(told).toEqual(['session:ended', 'disconnect']);
  });

  it('leaves a socket alone when nothing changed, and takes a role change heard meanwhile', async () => {
    const { table, events, sessions } = await setUp();
    const quiet = socketOf('u1');
    sessions.connected(quiet.socket);
    await sessions.ready(quiet.socket);
    expect(quiet.told).toEqual([]);

    const promoted = socketOf('u1');
    table.rows.set('u1', { ...table.rows.get('u1')!, roles: ['member', 'moderator'] });
    events.emit('user.roles_changed', 'u1');
    sessions.connected(promoted.socket);
    await sessions.ready(promoted.socket);
    expect(promoted.told).toEqual([]);
    expect(promoted.socket.data.user.roles).toEqual(['member', 'moderator']);
  });

  it('does not end a session because the database could not answer', async () => {
    const { table, events, sessions } = await setUp();
    events.emit('user.roles_changed', 'u1'); // the cached status is dropped: the next read fails
    table.fail();
    const { socket, told } = socketOf('u1');
    sessions.connected(socket);
    await sessions.ready(socket);
    expect(told).toEqual([]);
    expect(socket.connected).toBe(true);
  });
});

describe('SocketSessions, the audit behind the ban events', () => {
  afterEach(() => jest.useRealTimers());

  it('ends, within 30 s, the sockets of a user banned while the event was missed, a slice at a time', async () => {
    jest.useFakeTimers();
    const sockets = Array.from({ length: 300 }, (_, i) => socketOf(`u${i}`));
    const asked: number[] = [];
    const users = {
      activeIds: (ids: readonly string[]) => {
        asked.push(ids.length);
        return Promise.resolve(new Set(ids.filter((id) => id !== 'u7')));
      },
    } as unknown as UsersService;
    const sessions = new SocketSessions(
      {} as Authenticator,
      {} as ChannelsService,
      {} as PresenceService,
      {} as TypingService,
      { eachLocalSocket: () => sockets.map((s) => s.socket) } as unknown as SocketHub,
      { draining: false },
      users,
      eventBus().bus,
    );
    sessions.onApplicationBootstrap();
    try {
      await jest.advanceTimersByTimeAsync(30_000);
    } finally {
      sessions.onApplicationShutdown();
    }
    expect(sockets[7].told).toEqual(['session:ended', 'disconnect']);
    expect(sockets.filter((s) => s.told.length > 0)).toHaveLength(1);
    // Every socket was asked about once, and no statement asked about the whole replica.
    expect(asked.reduce((a, n) => a + n, 0)).toBe(300);
    expect(Math.max(...asked)).toBeLessThan(40);
  });
});

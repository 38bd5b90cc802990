import type { EventBus } from '@chat/platform';
import type { UserStatus, UserStatusRepository } from './user-status.repository';
import { UserStatusService } from './user-status.service';

/** The statuses a replica reads: an in-memory table that counts the statements. */
function table(): { repo: UserStatusRepository; reads: string[][]; rows: Map<string, UserStatus> } {
  const rows = new Map<string, UserStatus>();
  const reads: string[][] = [];
  const repo = {
    statusOfMany: (ids: readonly string[]) => {
      reads.push([...ids]);
      return Promise.resolve(new Map([...rows].filter(([id]) => ids.includes(id))));
    },
  } as unknown as UserStatusRepository;
  return { repo, reads, rows };
}

const status = (username: string, banned = false): UserStatus => ({
  username,
  roles: ['member'],
  banned,
  totpSetupRequired: false,
});

describe('UserStatusService', () => {
  const bus = { subscribe: () => undefined } as unknown as EventBus;
  let clock: number;
  beforeEach(() => {
    clock = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers from memory for 3 s, then reads again, so a ban made elsewhere applies', async () => {
    const { repo, reads, rows } = table();
    rows.set('u1', status('ana'));
    const service = new UserStatusService(repo, bus);
    expect(await service.get('u1')).toMatchObject({ username: 'ana', banned: false });
    rows.set('u1', status('ana', true));
    clock += 2_999;
    expect(await service.get('u1')).toMatchObject({ banned: false });
    expect(reads).toHaveLength(1);
    clock += 1;
    expect(await service.get('u1')).toMatchObject({ banned: true });
    expect(reads).toHaveLength(2);
    expect(await service.get('nobody')).toBeNull();
  });

  it('forgets the users it saw once their statuses are stale, rather than keeping every one', async () => {
    const { repo, rows } = table();
    for (let i = 0; i < 1_000; i++) rows.set(`u${i}`, status(`user${i}`));
    const service = new UserStatusService(repo, bus);
    // A reconnect wave checks 1,000 users, then the replica sits idle.
    await Promise.all([...rows.keys()].map((id) => service.get(id)));
    expect(service.size).toBe(1_000);
    // One user is checked after they have all gone stale: only that one is kept.
    clock += 3_000;
    await service.get('u7');
    expect(service.size).toBe(1);
    // A user read again counts from then: u8, read after u7 but not since, goes first.
    clock += 1_000;
    await service.get('u8');
    clock += 2_001;
    await service.get('u7');
    clock += 1_500;
    await service.get('u9');
    expect(service.size).toBe(2);
    expect(await service.get('u7')).toMatchObject({ username: 'user7' });
  });

  it('reads a change made here at once, before the bus delivers it back', async () => {
    const { repo, reads, rows } = table();
    rows.set('u1', status('ana'));
    const published: unknown[] = [];
    // A bus that has not delivered anything back yet: only the publish is seen.
    const slowBus = {
      subscribe: () => undefined,
      publish: (topic: string, payload: unknown) => {
        published.push([topic, payload]);
        return Promise.resolve();
      },
    } as unknown as EventBus;
    const service = new UserStatusService(repo, slowBus);
    expect(await service.get('u1')).toMatchObject({ banned: false });
    rows.set('u1', status('ana', true));
    await service.announce('user.banned', { userId: 'u1' });
    expect(await service.get('u1')).toMatchObject({ banned: true });
    expect(reads).toHaveLength(2);
    expect(published).toEqual([['user.banned', { userId: 'u1' }]]);
  });

  it('does not keep a status read while a ban was heard of: the next check reads the ban', async () => {
    const rows = new Map([['u1', status('ana')]]);
    const reads: (() => void)[] = [];
    // Each read takes the table as it is when the statement runs, and answers when told to.
    const repo = {
      statusOfMany: (ids: readonly string[]) => {
        const found = new Map([...rows].filter(([id]) => ids.includes(id)));
        return new Promise<Map<string, UserStatus>>((resolve) => reads.push(() => resolve(found)));
      },
    } as unknown as UserStatusRepository;
    const handlers = new Map<string, (payload: { userId: string }) => void>();
    const events = {
      subscribe: (topic: string, handler: (payload: { userId: string }) => void) =>
        handlers.set(topic, handler),
    } as unknown as EventBus;
    const service = new UserStatusService(repo, events);
    service.onModuleInit();

    // A command checks ana; the statement runs before the ban commits.
    const checking = service.get('u1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toHaveLength(1);
    // The ban commits and its event arrives while that read is still on its way back.
    rows.set('u1', status('ana', true));
    handlers.get('user.banned')!({ userId: 'u1' });
    reads[0]();
    expect(await checking).toMatchObject({ banned: false });

    // The next command, well within 3 s, must see the ban.
    clock += 10;
    const next = service.get('u1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toHaveLength(2);
    reads[1]();
    expect(await next).toMatchObject({ banned: true });
    // Without a forget in between, a read is kept as before.
    expect(await service.get('u1')).toMatchObject({ banned: true });
    expect(reads).toHaveLength(2);
  });
});

import { Sql } from '@chat/database';
import { Metrics } from '@chat/platform';
import { waitFor } from '../../../../test/support/wait-for';
import { openSql, uniqueChannelName, type TestSql } from '../../../../test/support/repository';
import { ChannelsRepository } from '../channels/channels.repository';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { ChannelWriter, type NewMessage, type StoredRow, type WriteOutcome } from './channel-writer';
import { MessagesRepository } from './messages.repository';

/** One gateway replica's writer, on a pool of its own. */
function replica(db: TestSql, prepared = true) {
  const metrics = new GatewayMetrics(new Metrics('gateway'));
  const repo = new MessagesRepository(Sql.over(db.dataSource, { preparedStatements: prepared }));
  return { writer: new ChannelWriter(repo, metrics), repo, metrics };
}

const stored = (outcome: WriteOutcome) => {
  if (typeof outcome === 'string') throw new Error(`expected a stored message, got ${outcome}`);
  return outcome;
};

describe('ChannelWriter (real Postgres, two replicas)', () => {
  let a: TestSql;
  let b: TestSql;
  let channels: ChannelsRepository;
  let ann: string;
  let bob: string;
  let eve: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([openSql(), openSql()]);
    channels = new ChannelsRepository(a.sql);
    [ann, bob, eve] = await Promise.all([a.user(), a.user(), a.user()]);
  });
  afterAll(() => Promise.all([a.close(), b.close()]));

  /** A private channel of ann (its owner) and bob. */
  const channel = async () => {
    const id = (await channels.createChannel(uniqueChannelName(), 'private', '', ann))!;
    await channels.addMember(id, bob);
    return id;
  };
  const channelsOf = (n: number) => Promise.all(Array.from({ length: n }, channel));
  const plain = (authorId: string, body: string, clientId: string | null = null): NewMessage => ({
    authorId,
    body,
    clientId,
  });
  const bodies = async (repo: MessagesRepository, id: string) =>
    (await repo.page(id, {}, true, 100)).map((m) => [Number(m.seq), m.body]);
  /**
   * Whether a write statement waits for a lock (a row lock or a clientId) that the session `blocker`
   * holds. Only that session's: other suites share the database and their writes wait for locks too.
   */
  const writeBlockedBy = (blocker: number) => async () => {
    const row = await a.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE '%WITH input AS%'
          AND $1::int = ANY(pg_blocking_pids(pid))`,
      [blocker],
    );
    return row!.n > 0;
  };
  const backendPid = async (sql: { one<T>(text: string): Promise<T | undefined> }) =>
    (await sql.one<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;

  it.each([true, false])(
    'stores the sends of many channels in one statement, each channel gap-free in arrival order (prepared: %s)',
    async (prepared) => {
      const { writer, repo, metrics } = replica(a, prepared);
      const ids = await channelsOf(12);
      // Sent in one turn, interleaved across the channels.
      const writes = [0, 1, 2, 3].flatMap((i) => ids.map((id) => writer.write(id, plain(ann, `${i}`))));
      const rows = (await Promise.all(writes)).map(stored);
      ids.forEach((_, c) => {
        expect([0, 1, 2, 3].map((i) => rows[i * ids.length + c].seq)).toEqual(['1', '2', '3', '4']);
      });
      for (const id of ids)
        expect(await bodies(repo, id)).toEqual([
          [1, '0'],
          [2, '1'],
          [3, '2'],
          [4, '3'],
        ]);
      // One statement for the 48 messages of the 12 channels.
      const sum = async (h: GatewayMetrics['writeDuration']) =>
        Object.fromEntries((await h.get()).values.map((v) => [v.metricName, v.value]));
      expect(await sum(metrics.writeBatchChannels)).toMatchObject({
        gateway_message_write_batch_channels_count: 1,
        gateway_message_write_batch_channels_sum: 12,
      });
      expect(await sum(metrics.writeBatchSize)).toMatchObject({ gateway_message_write_batch_size_sum: 48 });
      // That one write was timed, and took some time.
      const timed = await sum(metrics.writeDuration);
      expect(timed.gateway_message_write_seconds_count).toBe(1);
      expect(timed.gateway_message_write_seconds_sum).toBeGreaterThan(0);
    },
  );

  it('answers each message of a mixed batch: stored, not a member, a used clientId, a clientId repeated in it', async () => {
    const { writer, repo } = replica(a);
    const [x, y] = await channelsOf(2);
    const used = `used-${x}`;
    const repeated = `twice-${x}`;
    stored(await writer.write(x, plain(ann, 'original', used)));
    const outcomes = await Promise.all([
      writer.write(x, plain(ann, 'retry of the original', used)),
      writer.write(y, plain(eve, 'not a member')),
      writer.write(y, plain(bob, 'first use', repeated)),
      writer.write(x, plain(bob, 'quick retry, other channel', repeated)),
      writer.write(y, plain(bob, 'quick retry, same channel', repeated)),
      writer.write(x, plain(ann, 'fresh')),
    ]);
    expect(outcomes.map((o) => (typeof o === 'string' ? o : o.seq))).toEqual([
      'duplicate',
      'not-member',
      '1',
      'duplicate',
      'duplicate',
      '2',
    ]);
    expect(await bodies(repo, x)).toEqual([
      [1, 'original'],
      [2, 'fresh'],
    ]);
    expect(await bodies(repo, y)).toEqual([[1, 'first use']]);
  });

  it("stores the other channels' messages when a channel is deleted while the statement waits for its row", async () => {
    const { writer, repo } = replica(a);
    const [gone, kept] = await channelsOf(2);
    const holder = b.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      const [{ pid: holderPid }] = (await holder.query('SELECT pg_backend_pid() AS pid')) as {
        pid: number;
      }[];
      await holder.query('DELETE FROM channels WHERE id = $1', [gone]);
      const lost = writer.write(gone, plain(ann, 'into a channel being deleted'));
      lost.catch(() => undefined);
      const others = [writer.write(kept, plain(ann, 'one')), writer.write(kept, plain(bob, 'two'))];
      await waitFor(writeBlockedBy(holderPid), 10_000, 'the write blocked by the holder', 20);
      await holder.commitTransaction();
      await expect(lost).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await Promise.all(others)).map((o) => stored(o).seq)).toEqual(['1', '2']);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    expect(stored(await writer.write(kept, plain(ann, 'three'))).seq).toBe('3');
    expect(await repo.page(gone, {}, true, 10)).toEqual([]);
  });

  it('answers duplicate for a clientId another replica stored while the statement waited, and stores the rest', async () => {
    const { writer, repo } = replica(a);
    const other = replica(b).repo;
    const [x, y, z] = await channelsOf(3);
    const clientId = `race-${x}`;
    let pending: Promise<WriteOutcome>[] = [];
    // The other replica's send with an attachment holds the clientId until it commits.
    await other.transaction(async (tx, sql) => {
      const txPid = await backendPid(sql);
      const seq = await tx.nextSeq(z);
      await tx.insertOne(z, seq!, plain(ann, 'sent with a file', clientId));
      pending = [
        writer.write(x, plain(ann, 'the same send, retried here', clientId)),
        writer.write(y, plain(bob, 'unrelated')),
        writer.write(x, plain(bob, 'unrelated too')),
      ];
      await waitFor(writeBlockedBy(txPid), 10_000, 'the write blocked by the transaction', 20);
    });
    const [retried, ...rest] = await Promise.all(pending);
    expect(retried).toBe('duplicate');
    expect(rest.map((o) => stored(o).seq)).toEqual(['1', '1']);
    expect((await repo.byClientId(ann, clientId))!.channel_id).toBe(z);
    // The failed statement's seqs were given back: no gap.
    expect(stored(await writer.write(x, plain(ann, 'next'))).seq).toBe('2');
    expect(await bodies(repo, x)).toEqual([
      [1, 'unrelated too'],
      [2, 'next'],
    ]);
  });

  it('two replicas writing to the same channels in opposite orders all get stored, gap-free and in order', async () => {
    const one = replica(a);
    const two = replica(b);
    const ids = await channelsOf(16);
    const rounds = 12;
    const results: StoredRow[][] = [];
    for (let r = 0; r < rounds; r++) {
      const outcomes = await Promise.all([
        ...ids.map((id) => one.writer.write(id, plain(ann, `a${r}`))),
        ...[...ids].reverse().map((id) => two.writer.write(id, plain(bob, `b${r}`))),
      ]);
      results.push(outcomes.map(stored));
    }
    for (const id of ids) {
      const page = await bodies(one.repo, id);
      expect(page.map(([seq]) => seq)).toEqual(Array.from({ length: 2 * rounds }, (_, i) => i + 1));
      const by = (prefix: string) =>
        page.map(([, body]) => body).filter((body) => `${body}`.startsWith(prefix));
      expect(by('a')).toEqual(Array.from({ length: rounds }, (_, r) => `a${r}`));
      expect(by('b')).toEqual(Array.from({ length: rounds }, (_, r) => `b${r}`));
    }
  });
});

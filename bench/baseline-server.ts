/**
 * The ceiling the gateway is compared with: a bare socket.io server (same socket.io and
 * @socket.io/redis-adapter versions as the gateway) that rebroadcasts `message:send` to the room
 * of its channel, with no authentication, no validation and no persistence. The broadcast has the
 * contract's Message shape, so both push the same bytes. With BASELINE_REDIS_URL it uses the
 * Redis adapter (several processes), otherwise the in-memory one. Forked by bench/run.ts, it
 * reports its port over IPC.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Server } from 'socket.io';

const redisUrl = process.env.BASELINE_REDIS_URL ?? '';
const prefix = process.env.BASELINE_REDIS_PREFIX ?? 'bench-baseline';

const http = createServer((req, res) => {
  if (req.url === '/metrics') {
    // The same metric name the gateway's prom-client exposes, from the same source.
    const m = process.memoryUsage();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(
      `nodejs_heap_size_used_bytes ${m.heapUsed}\nnodejs_heap_size_total_bytes ${m.heapTotal}\n` +
        `process_resident_memory_bytes ${m.rss}\n`,
    );
    return;
  }
  res.writeHead(req.url === '/readyz' ? 200 : 404).end();
});

const io = new Server(http, { path: '/socket.io/', serveClient: false });
const redisClients: Redis[] = [];
if (redisUrl) {
  const pub = new Redis(redisUrl, { lazyConnect: false });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) {
    c.on('error', (err: Error) => console.error(`baseline redis: ${err.message}`));
    redisClients.push(c);
  }
  io.adapter(createAdapter(pub, sub, { key: `${prefix}:socket.io` }));
}

const seqs = new Map<string, number>();

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { user?: string; rooms?: string[] };
  const user = String(auth.user ?? 'anonymous');
  void socket.join([`user:${user}`, ...(auth.rooms ?? []).map(String)]);
  socket.on(
    'message:send',
    (payload: { channelId: string; body: string; clientId?: string }, ack?: unknown) => {
      const seq = (seqs.get(payload.channelId) ?? 0) + 1;
      seqs.set(payload.channelId, seq);
      const message = {
        id: randomUUID(),
        channelId: payload.channelId,
        seq,
        author: { id: user, username: user },
        body: payload.body,
        attachments: [],
        clientId: payload.clientId ?? null,
        createdAt: new Date().toISOString(),
        editedAt: null,
        deleted: false,
        threadId: null,
        replyCount: 0,
        lastReplyAt: null,
        reactions: [],
        mentions: { userIds: [], channel: false },
        pinned: false,
      };
      io.to(`channel:${payload.channelId}`).emit('message:new', message);
      if (typeof ack === 'function') ack({ ok: true, message });
    },
  );
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.send?.({ ready: true, port: (http.address() as AddressInfo).port });
});

const stop = () => {
  void io.close();
  void Promise.allSettled(redisClients.map((c) => c.quit())).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);

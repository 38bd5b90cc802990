import { Inject, Injectable } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { AccountExportRepository } from './account-export.repository';
import { AccountLifecycleErrors } from './account-lifecycle.errors';
import { ExportLock } from './export-lock';
import { ExportAborted, type ExportSink } from './export-sink';

/** Rows per statement: a page is written out before the next one is read. */
const PAGE = 500;

/** An export that may start: its file name, and the writing itself (which ends the lock). */
export interface OpenedExport {
  filename: string;
  writeTo(sink: ExportSink): Promise<void>;
}

/**
 * A person's data export (`GET /auth/me/export`): one JSON document, written as it is read, page by
 * page, so memory stays flat however long the history. One export per user at a time.
 */
@Injectable()
export class AccountExportService {
  constructor(
    private readonly repo: AccountExportRepository,
    private readonly lock: ExportLock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /** Checks and takes what the export needs before anything is sent: 429 and 404 come from here. */
  async open(userId: string): Promise<OpenedExport> {
    const lease = await this.lock.acquire(userId);
    if (!lease) throw AccountLifecycleErrors.exportRunning();
    try {
      const account = await this.repo.account(userId);
      if (!account) throw AccountLifecycleErrors.userNotFound();
      const exportedAt = new Date();
      return {
        filename: `chat-export-${account.username}-${exportedAt.toISOString().slice(0, 10)}.json`,
        writeTo: async (sink) => {
          try {
            await this.write(userId, exportedAt, account, sink);
          } finally {
            await lease.release();
          }
        },
      };
    } catch (err) {
      await lease.release();
      throw err;
    }
  }

  private async write(
    userId: string,
    exportedAt: Date,
    account: NonNullable<Awaited<ReturnType<AccountExportRepository['account']>>>,
    sink: ExportSink,
  ): Promise<void> {
    const head = {
      exportedAt: exportedAt.toISOString(),
      account: {
        id: account.id,
        username: account.username,
        email: account.email,
        roles: account.roles,
        createdAt: account.createdAt.toISOString(),
      },
    };
    await sink.write(JSON.stringify(head).slice(0, -1));

    const channels = await this.repo.channels(userId);
    await sink.write(
      `,"channels":${JSON.stringify(channels.map((c) => ({ id: c.id, name: c.name, kind: c.kind })))}`,
    );

    const list = new JsonList(sink, 'messages');
    for (const channelId of await this.repo.authoredChannelIds(userId)) {
      let after: string | null = null;
      for (;;) {
        const rows = await this.repo.messages(userId, channelId, after, PAGE);
        await list.add(
          rows.map((m) => ({
            id: m.id,
            channelId: m.channelId,
            seq: Number(m.seq),
            body: m.deletedAt ? '' : m.body,
            createdAt: m.createdAt.toISOString(),
            editedAt: m.editedAt?.toISOString() ?? null,
            deleted: m.deletedAt !== null,
            ...(m.threadId ? { threadRootId: m.threadId } : {}),
            attachmentIds: m.attachmentIds ?? [],
          })),
        );
        if (rows.length < PAGE) break;
        after = rows[rows.length - 1].id;
      }
    }
    await list.close();

    const files = new JsonList(sink, 'files');
    for (let after: string | null = null; ;) {
      const rows = await this.repo.files(userId, after, PAGE);
      await files.add(
        rows.map((f) => ({
          id: f.id,
          channelId: f.channelId,
          name: f.name,
          size: Number(f.size),
          contentType: f.contentType,
          createdAt: f.createdAt.toISOString(),
          url: `${this.config.publicUrl}/files/${f.id}`,
        })),
      );
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1].id;
    }
    await files.close();

    const reactions = new JsonList(sink, 'reactions');
    for (let after: { messageId: string; emoji: string } | null = null; ;) {
      const rows = await this.repo.reactions(userId, after, PAGE);
      await reactions.add(
        rows.map((r) => ({
          messageId: r.messageId,
          channelId: r.channelId,
          emoji: r.emoji,
          createdAt: r.createdAt.toISOString(),
        })),
      );
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1];
    }
    await reactions.close();
    if (sink.aborted) throw new ExportAborted();
    await sink.write('}');
  }
}

/** A JSON array member written a page at a time: `,"name":[` … `]`. */
class JsonList {
  private opened = false;
  private empty = true;

  constructor(
    private readonly sink: ExportSink,
    private readonly name: string,
  ) {}

  async add(items: unknown[]): Promise<void> {
    let chunk = this.opened ? '' : `,${JSON.stringify(this.name)}:[`;
    this.opened = true;
    for (const item of items) {
      chunk += (this.empty ? '' : ',') + JSON.stringify(item);
      this.empty = false;
    }
    if (chunk) await this.sink.write(chunk);
  }

  async close(): Promise<void> {
    await this.sink.write(`${this.opened ? '' : `,${JSON.stringify(this.name)}:[`}]`);
  }
}

import { Injectable } from '@nestjs/common';
import { Sql, type FileStatus } from '@chat/database';

/** A files row, as the media service works with it. */
export interface StoredFile {
  id: string;
  channelId: string;
  uploadedBy: string;
  name: string;
  size: number;
  contentType: string;
  objectKey: string;
  thumbKey: string | null;
  status: FileStatus;
  messageId: string | null;
  createdAt: Date;
}

/** A pending upload as it is recorded before its bytes are in (its row goes 'ready' once they are). */
export type NewUpload = Pick<
  StoredFile,
  'id' | 'channelId' | 'uploadedBy' | 'name' | 'size' | 'contentType' | 'objectKey'
>;

/** An expired pending upload: what the sweeper removes. */
export interface ExpiredUpload {
  id: string;
  objectKey: string;
  thumbKey: string | null;
}

const FILE_COLUMNS = `id, channel_id AS "channelId", uploaded_by AS "uploadedBy", name, size,
  content_type AS "contentType", object_key AS "objectKey", thumb_key AS "thumbKey", status,
  message_id AS "messageId", created_at AS "createdAt"`;

/** No file has this id: lets "every file but one" be one statement when there is no one to leave out. */
const NO_FILE = '00000000-0000-0000-0000-000000000000';

/** Every statement of the media service about files and the storage they hold. */
@Injectable()
export class FilesRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements on `sql` (a transaction's). */
  static on(sql: Sql): FilesRepository {
    return new FilesRepository(sql);
  }

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: FilesRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new FilesRepository(sql)));
  }

  findById(id: string): Promise<StoredFile | undefined> {
    return this.file(`SELECT ${FILE_COLUMNS} FROM files WHERE id = $1`, [id]);
  }

  findReady(id: string): Promise<StoredFile | undefined> {
    return this.file(`SELECT ${FILE_COLUMNS} FROM files WHERE id = $1 AND status = 'ready'`, [id]);
  }

  /** Records a pending upload. */
  async insertPending(upload: NewUpload): Promise<StoredFile> {
    const row = await this.file(
      `INSERT INTO files (id, channel_id, uploaded_by, name, size, content_type, object_key, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')
       RETURNING ${FILE_COLUMNS}`,
      [
        upload.id,
        upload.channelId,
        upload.uploadedBy,
        upload.name,
        upload.size,
        upload.contentType,
        upload.objectKey,
      ],
    );
    return row!;
  }

  /**
   * Turns a pending upload ready with what its bytes turned out to be (`size` null: as declared).
   * False when it is not pending any more: completed meanwhile, or swept.
   */
  async finishPending(
    id: string,
    done: { size: number | null; contentType: string; thumbKey: string | null },
  ): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE files SET status = 'ready', size = COALESCE($2, size), content_type = $3, thumb_key = $4
        WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, done.size, done.contentType, done.thumbKey],
    );
    return rows.length > 0;
  }

  /** Removes an upload that is still pending (a finished file is left alone). */
  async deletePending(id: string): Promise<void> {
    await this.sql.rows(`DELETE FROM files WHERE id = $1 AND status = 'pending'`, [id]);
  }

  /**
   * Deletes the row; what it was attached to as of the delete (it may have been attached since it
   * was read), or null when it was gone already.
   */
  async delete(id: string): Promise<{ messageId: string | null } | null> {
    const row = await this.sql.one<{ messageId: string | null }>(
      'DELETE FROM files WHERE id = $1 RETURNING message_id AS "messageId"',
      [id],
    );
    return row ?? null;
  }

  /**
   * Locks the user's quota until the transaction ends and returns the bytes they hold (finished
   * files plus pending uploads), leaving out `excludeFileId`. The advisory lock serializes one user's
   * uploads across every replica.
   */
  async lockQuota(userId: string, excludeFileId?: string): Promise<number> {
    await this.sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('media-quota:' || $1, 0))`, [userId]);
    const row = await this.sql.one<{ used: string }>(
      `SELECT COALESCE(SUM(size), 0)::text AS used FROM files WHERE uploaded_by = $1 AND id <> $2`,
      [userId, excludeFileId ?? NO_FILE],
    );
    return Number(row?.used ?? 0);
  }

  /** Bytes the user holds, without locking. */
  async bytesHeld(userId: string): Promise<number> {
    const row = await this.sql.one<{ used: string }>(
      `SELECT COALESCE(SUM(size), 0)::text AS used FROM files WHERE uploaded_by = $1`,
      [userId],
    );
    return Number(row?.used ?? 0);
  }

  /**
   * Up to `limit` pending uploads older than `ttlSeconds` by the database clock, oldest first, locked
   * until the transaction ends; rows another transaction holds are skipped (SKIP LOCKED), so each
   * goes to exactly one sweeper.
   */
  expiredPending(ttlSeconds: number, limit: number): Promise<ExpiredUpload[]> {
    return this.sql.rows<ExpiredUpload>(
      `SELECT id, object_key AS "objectKey", thumb_key AS "thumbKey" FROM files
        WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [ttlSeconds, limit],
    );
  }

  async deleteAll(ids: string[]): Promise<void> {
    await this.sql.rows('DELETE FROM files WHERE id = ANY($1::uuid[])', [ids]);
  }

  private async file(text: string, params: unknown[]): Promise<StoredFile | undefined> {
    const row = await this.sql.one<Omit<StoredFile, 'size'> & { size: string }>(text, params);
    return row && { ...row, size: Number(row.size) };
  }
}

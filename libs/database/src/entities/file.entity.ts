import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type FileStatus = 'pending' | 'ready';

@Entity({ name: 'files' })
@Index('files_channel_id_idx', ['channelId'])
@Index('files_uploaded_by_idx', ['uploadedBy'])
@Index('files_message_id_idx', ['messageId'])
@Index('files_pending_created_idx', ['status', 'createdAt'])
export class FileEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'channel_id', type: 'uuid' })
  channelId: string;

  @Column({ name: 'uploaded_by', type: 'uuid' })
  uploadedBy: string;

  /** Sanitized display name; never used to build a storage key. */
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: Number } })
  size: number;

  /** Detected from the bytes, not taken from the client. */
  @Column({ name: 'content_type', type: 'varchar', length: 127 })
  contentType: string;

  /** Server-generated object key. */
  @Column({ name: 'object_key', type: 'varchar', length: 255 })
  objectKey: string;

  @Column({ name: 'thumb_key', type: 'varchar', length: 255, nullable: true })
  thumbKey: string | null;

  @Column({ type: 'varchar', length: 16, default: 'ready' })
  status: FileStatus;

  /** The message this file is attached to, once sent. */
  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

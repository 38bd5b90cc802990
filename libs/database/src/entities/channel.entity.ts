import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ChannelKind } from '@chat/contracts';

@Entity({ name: 'channels' })
export class ChannelEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Unique among public channels, case-insensitively (partial unique index on lower(name)). */
  @Column({ type: 'varchar', length: 80 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  kind: ChannelKind;

  @Column({ type: 'varchar', length: 250, default: '' })
  topic: string;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  /**
   * Highest seq handed out. A send increments it with `UPDATE … RETURNING` in the same transaction
   * as the message insert: the row lock serializes concurrent senders on every replica, and a
   * rollback gives the number back, so seqs are gap-free and strictly increasing.
   */
  @Column({
    name: 'last_seq',
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: Number },
  })
  lastSeq: number;

  /** For DMs: the two user ids sorted and joined by ":"; unique, so each pair has one DM. */
  @Column({ name: 'dm_key', type: 'varchar', length: 73, nullable: true })
  dmKey: string | null;

  /** Archived: read-only for everyone, listed apart (issue #19). */
  @Column({ name: 'archived_at', type: 'timestamptz', nullable: true })
  archivedAt: Date | null;

  @Column({ name: 'archived_by', type: 'uuid', nullable: true })
  archivedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

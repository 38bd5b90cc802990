import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MemberRole, NotifyLevel } from '@chat/contracts';

@Entity({ name: 'memberships' })
@Index('memberships_user_id_idx', ['userId'])
export class MembershipEntity {
  @PrimaryColumn({ name: 'channel_id', type: 'uuid' })
  channelId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 16, default: 'member' })
  role: MemberRole;

  /** The member's read marker: the highest seq they have read. */
  @Column({
    name: 'last_read_seq',
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: Number },
  })
  lastReadSeq: number;

  /** NULL: the channel kind's default (`all` in DMs, `mentions` elsewhere). */
  @Column({ type: 'varchar', length: 8, nullable: true })
  notify: NotifyLevel | null;

  @Column({ type: 'boolean', default: false })
  muted: boolean;

  @CreateDateColumn({ name: 'joined_at', type: 'timestamptz' })
  joinedAt: Date;
}

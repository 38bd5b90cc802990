import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One login: the family of refresh tokens that descend from it. Revoking it ends them all. */
@Entity({ name: 'login_sessions' })
export class LoginSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('login_sessions_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

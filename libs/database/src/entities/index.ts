import { ChannelEntity } from './channel.entity';
import { FileEntity } from './file.entity';
import { LoginSessionEntity } from './login-session.entity';
import { MembershipEntity } from './membership.entity';
import { MessageEntity } from './message.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { UserEntity } from './user.entity';

export {
  ChannelEntity,
  FileEntity,
  LoginSessionEntity,
  MembershipEntity,
  MessageEntity,
  RefreshTokenEntity,
  UserEntity,
};
export type { FileStatus } from './file.entity';

export const ENTITIES = [
  UserEntity,
  LoginSessionEntity,
  RefreshTokenEntity,
  ChannelEntity,
  MembershipEntity,
  MessageEntity,
  FileEntity,
];

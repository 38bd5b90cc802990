import { Injectable } from '@nestjs/common';
import type { MessageMentions } from '@chat/contracts';
import { candidateNames, parseMentions, resolveMentions } from './mentions';
import { MessagesRepository } from './messages.repository';

/** What a body mentions in a channel: the parse (mentions.ts), then the channel's members. */
@Injectable()
export class MentionResolver {
  constructor(private readonly messages: MessagesRepository) {}

  /**
   * The members of the channel and the channel itself that `body` mentions; null when it mentions
   * nothing (most messages: they cost no lookup).
   */
  async resolve(channelId: string, body: string): Promise<MessageMentions | null> {
    const parsed = parseMentions(body);
    const names = candidateNames(parsed);
    const userIds =
      names.length === 0
        ? []
        : resolveMentions(parsed, await this.messages.mentionableMembers(channelId, names));
    return userIds.length === 0 && !parsed.channel ? null : { userIds, channel: parsed.channel };
  }
}

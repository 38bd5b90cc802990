/**
 * "BOT" beside the name of a bot account or an incoming webhook: in text, so a screen reader
 * says it and it does not rely on colour.
 */
export function BotBadge() {
  return (
    <span className="tag bot-badge" title="A bot account or a webhook, not a person">
      BOT
    </span>
  );
}

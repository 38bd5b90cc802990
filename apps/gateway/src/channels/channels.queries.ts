/**
 * SQL for reading channels as one viewer sees them ($1 is the viewer's id). Counts come from
 * indexes: memberships' primary key (channel_id, user_id) and messages (channel_id, seq).
 */
export const CHANNEL_SELECT = `
  SELECT c.id, c.name, c.kind, c.topic, c.created_by, c.created_at, c.last_seq,
         (SELECT count(*)::int FROM memberships mc WHERE mc.channel_id = c.id) AS member_count,
         CASE WHEN m.user_id IS NULL THEN 0 ELSE (
           SELECT count(*)::int FROM messages x
            WHERE x.channel_id = c.id AND x.seq > m.last_read_seq
              AND x.author_id <> m.user_id AND x.deleted_at IS NULL
         ) END AS unread_count,
         CASE WHEN c.kind = 'dm' THEN (
           SELECT u.username FROM memberships md JOIN users u ON u.id = md.user_id
            WHERE md.channel_id = c.id AND md.user_id <> $1
            ORDER BY u.username LIMIT 1
         ) END AS dm_name
    FROM channels c
    LEFT JOIN memberships m ON m.channel_id = c.id AND m.user_id = $1`;

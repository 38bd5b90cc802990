import { DELETED_USER_NAME } from '@chat/contracts';

/**
 * The account rules every repository that reads `users` shares, as SQL fragments over the table
 * alias `u` (or the table name, when the statement does not alias it). One place for them: a
 * deleted (deactivated) account counts as banned everywhere, and is shown under DELETED_USER_NAME.
 */

/** True when the account can no longer act: banned, or deleted. */
export const userBlockedSql = (u = 'users'): string =>
  `(${u}.banned_at IS NOT NULL OR ${u}.deactivated_at IS NOT NULL)`;

/** True when the account can act: neither banned nor deleted. */
export const userActiveSql = (u = 'users'): string =>
  `(${u}.banned_at IS NULL AND ${u}.deactivated_at IS NULL)`;

/** The name the account is shown under: its username, or DELETED_USER_NAME once deleted. */
export const shownUsernameSql = (u = 'users'): string =>
  `CASE WHEN ${u}.deactivated_at IS NULL THEN ${u}.username ELSE '${DELETED_USER_NAME}' END`;

/** Password lengths, shared by forms (client) and schemas (server). */

/** Initial passwords an admin types when adding a member. */
export const PASSWORD_MIN_LENGTH = 10;
/** Passwords members choose for themselves on the account page. */
export const NEW_PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

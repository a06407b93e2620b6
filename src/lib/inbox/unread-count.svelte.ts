/**
 * The signed-in person's unread notifications in the open workspace, as the bell last counted
 * them: the tab's title reads it too, so it is counted once.
 */
export const unreadNotifications = $state({ count: 0 });

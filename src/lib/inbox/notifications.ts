import { z } from 'zod';
import type { ParleyClient } from '$lib/supabase/types';
import { inboxNotificationSchema, type InboxNotification } from './types.ts';

/** Notifications per page. */
export const NOTIFICATIONS_PAGE_SIZE = 30;

const COLUMNS = 'id, tenant_id, kind, conversation_id, title, body, read_at, created_at';
const notificationRows = z.array(inboxNotificationSchema);

/**
 * Loads the signed-in person's notifications in a tenant, newest first, keyset on (created_at, id)
 * so new arrivals never shift a page. RLS shows each person only their own.
 */
export async function loadNotifications(
	supabase: ParleyClient,
	tenantId: string,
	before: { created_at: string; id: string } | null = null
): Promise<{ notifications: InboxNotification[]; hasMore: boolean }> {
	let query = supabase
		.from('notifications')
		.select(COLUMNS)
		.eq('tenant_id', tenantId)
		.order('created_at', { ascending: false })
		.order('id', { ascending: false })
		.limit(NOTIFICATIONS_PAGE_SIZE);
	if (before) {
		query = query.or(
			`created_at.lt.${before.created_at},and(created_at.eq.${before.created_at},id.lt.${before.id})`
		);
	}
	const { data, error } = await query;
	if (error) throw new Error(`The notifications could not be loaded: ${error.message}`);
	const notifications = notificationRows.parse(data ?? []);
	return { notifications, hasMore: notifications.length === NOTIFICATIONS_PAGE_SIZE };
}

/** Newest first, ties by id. */
export function compareNotifications(a: InboxNotification, b: InboxNotification): number {
	const byTime = Date.parse(b.created_at) - Date.parse(a.created_at);
	if (byTime !== 0) return byTime;
	return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Applies a live notification change (insert, read mark, delete) to the list, keeping the order. */
export function applyNotificationChange(
	list: readonly InboxNotification[],
	operation: string,
	record: InboxNotification | null,
	oldRecord: InboxNotification | null,
	tenantId: string
): InboxNotification[] {
	const id = record?.id ?? oldRecord?.id;
	const others = list.filter((item) => item.id !== id);
	if (operation === 'DELETE' || !record || record.tenant_id !== tenantId) return others;
	return [...others, record].sort(compareNotifications);
}

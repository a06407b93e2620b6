import { z } from 'zod';
import type { ParleyClient } from '$lib/supabase/types';
import { inboxNotificationSchema, type InboxNotification } from './types.ts';
import { microsecondsOf } from './timestamps.ts';

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
	const byTime = microsecondsOf(b.created_at) - microsecondsOf(a.created_at);
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

/** How each kind of notification reads and looks: its own words, colour and icon (a path). */
export const NOTIFICATION_LOOK: Record<
	InboxNotification['kind'],
	{ label: string; classes: string; icon: string }
> = {
	new_message: {
		label: 'New message',
		classes: 'bg-brand-50 text-brand-800 ring-brand-600/20',
		icon: 'M3 5.5A2.5 2.5 0 0 1 5.5 3h9A2.5 2.5 0 0 1 17 5.5v6a2.5 2.5 0 0 1-2.5 2.5H8l-3.5 3v-3A2.5 2.5 0 0 1 3 11.5v-6Z'
	},
	escalation: {
		label: 'Needs a person',
		classes: 'bg-rose-600 text-white ring-rose-700',
		icon: 'M8.5 3.5a1.7 1.7 0 0 1 3 0l6 10.5A1.7 1.7 0 0 1 16 16.5H4A1.7 1.7 0 0 1 2.5 14l6-10.5ZM9.25 7.75v3h1.5v-3h-1.5Zm.75 6.25a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z'
	},
	assignment: {
		label: 'Assigned to you',
		classes: 'bg-violet-50 text-violet-800 ring-violet-600/20',
		icon: 'M8 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6Zm-6 7.2a6 6 0 0 1 12 0 .8.8 0 0 1-.5.7 14 14 0 0 1-11 0 .8.8 0 0 1-.5-.7ZM15.25 6a.75.75 0 0 1 .75.75V8h1.25a.75.75 0 0 1 0 1.5H16v1.25a.75.75 0 0 1-1.5 0V9.5h-1.25a.75.75 0 0 1 0-1.5h1.25V6.75a.75.75 0 0 1 .75-.75Z'
	},
	credentials: {
		label: 'Number needs attention',
		classes: 'bg-amber-50 text-amber-800 ring-amber-600/20',
		icon: 'M13 2a5 5 0 0 0-4.9 6L2.3 13.8a1 1 0 0 0-.3.7V17a1 1 0 0 0 1 1h2.5a1 1 0 0 0 1-1v-1h1a1 1 0 0 0 1-1v-1h1l1.4-1.4A5 5 0 1 0 13 2Zm1 3.5a1 1 0 1 1 0 2 1 1 0 0 1 0-2Z'
	},
	mention: {
		label: 'Mentioned you',
		classes: 'bg-sky-50 text-sky-800 ring-sky-600/20',
		icon: 'M10 2a8 8 0 1 0 4 14.9.75.75 0 1 0-.75-1.3A6.5 6.5 0 1 1 16.5 10v.75a1.25 1.25 0 0 1-2.5 0V6.5a.75.75 0 0 0-1.5 0v.2A4 4 0 1 0 13 13a2.75 2.75 0 0 0 5-1.5V10a8 8 0 0 0-8-8Zm0 5.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5Z'
	},
	snooze: {
		label: 'Snooze ended',
		classes: 'bg-slate-100 text-slate-700 ring-slate-500/20',
		icon: 'M10 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16Zm.75 4a.75.75 0 0 0-1.5 0v4c0 .2.08.39.22.53l2.5 2.5a.75.75 0 1 0 1.06-1.06l-2.28-2.28V6Z'
	}
};

/** One conversation's notifications as the list shows them: the newest, and how many are unread. */
export interface NotificationGroup {
	key: string;
	/** The newest notification of the group: its time stands for the group. */
	latest: InboxNotification;
	/** What the group shows: its newest unread escalation, else its newest notification. */
	lead: InboxNotification;
	/** The group's notifications, newest first. */
	items: InboxNotification[];
	unread: number;
}

/**
 * Groups notifications per conversation (one without a conversation stands alone), newest group
 * first, each with its unread count. `list` is newest first, as loaded.
 */
export function groupNotifications(list: readonly InboxNotification[]): NotificationGroup[] {
	const groups = new Map<string, NotificationGroup>();
	for (const item of [...list].sort(compareNotifications)) {
		const key = item.conversation_id ? `conversation-${item.conversation_id}` : `one-${item.id}`;
		const group = groups.get(key);
		if (!group) {
			groups.set(key, {
				key,
				latest: item,
				lead: item,
				items: [item],
				unread: item.read_at ? 0 : 1
			});
			continue;
		}
		group.items.push(item);
		if (!item.read_at) {
			group.unread += 1;
			// An unread escalation outranks everything newer in its conversation.
			const leadIsUnreadEscalation = group.lead.kind === 'escalation' && !group.lead.read_at;
			if (item.kind === 'escalation' && !leadIsUnreadEscalation) group.lead = item;
		}
	}
	return [...groups.values()];
}

/** "(3) Inbox · Acme · Parley": the tab's title with the unread count in front, none at zero. */
export function titleWithCount(title: string, count: number): string {
	const bare = title.replace(/^\(\d+\+?\) /, '');
	if (count <= 0) return bare;
	return `(${count > 99 ? '99+' : count}) ${bare}`;
}

/**
 * Whether a new notification deserves a desktop alert: an escalation, a conversation assigned to
 * me, a mention of me, or a new message in a conversation that is mine.
 */
export function deservesDesktopAlert(
	kind: InboxNotification['kind'],
	conversationIsMine: boolean
): boolean {
	if (kind === 'escalation' || kind === 'assignment' || kind === 'mention') return true;
	return (kind === 'new_message' || kind === 'snooze') && conversationIsMine;
}

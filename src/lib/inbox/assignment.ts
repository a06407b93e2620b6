import { z } from 'zod';
import type { ParleyClient } from '$lib/supabase/types';
import { isSnoozed } from './snooze.ts';
import { inboxViews, type InboxFilters, type InboxView } from './types.ts';

/** How many conversations each inbox view holds. */
export type InboxViewCounts = Record<InboxView, number>;

export const NO_VIEW_COUNTS: InboxViewCounts = {
	mine: 0,
	unassigned: 0,
	all: 0,
	escalated: 0,
	snoozed: 0
};

/** `inbox_view_counts`' row, named as the views are. */
export const viewCountsSchema = z
	.object({
		mine: z.number(),
		unassigned: z.number(),
		all_conversations: z.number(),
		escalated: z.number(),
		// A database before snoozes counts none.
		snoozed: z.number().default(0)
	})
	.transform(({ all_conversations, ...rest }) => ({ ...rest, all: all_conversations }));

/** The database counts each view up to one past this; beyond it a tab says "999+". */
export const VIEW_COUNT_CAP = 999;

/** A tab's count as people read it. */
export function viewCountLabel(count: number): string {
	return count > VIEW_COUNT_CAP ? `${VIEW_COUNT_CAP}+` : String(Math.max(count, 0));
}

/** The tabs' names, in the order they show. */
export const VIEW_LABELS: Record<InboxView, string> = {
	mine: 'Mine',
	unassigned: 'Unassigned',
	all: 'All',
	escalated: 'Escalated',
	snoozed: 'Snoozed'
};

/** What deciding a view needs of a conversation. */
export interface ViewColumns {
	assignee_id: string | null;
	escalated_at: string | null;
	snoozed_until?: string | null;
}

/**
 * Whether a conversation is in a view for this viewer, as `inbox_conversations` decides it: a
 * snooze whose time has passed counts as awake.
 */
export function inView(
	row: ViewColumns,
	view: InboxView,
	viewerId: string,
	now = Date.now()
): boolean {
	const snoozed = isSnoozed(row.snoozed_until, now);
	if (view === 'snoozed') return snoozed;
	if (snoozed) return false;
	switch (view) {
		case 'all':
			return true;
		case 'mine':
			return row.assignee_id === viewerId;
		case 'unassigned':
			return row.assignee_id === null;
		case 'escalated':
			return row.escalated_at !== null;
	}
}

/** What a `conversations` broadcast's record and old_record say about a row's views and filters. */
const countedRowSchema = z.object({
	status: z.string(),
	number_id: z.string(),
	assignee_id: z.string().nullable(),
	escalated_at: z.string().nullable(),
	snoozed_until: z.string().nullable().default(null),
	label_ids: z.array(z.string()).nullable().default([])
});
const countedChangeSchema = z.object({
	record: z.unknown().optional(),
	old_record: z.unknown().optional()
});

/**
 * The tabs' counts after a `conversations` broadcast: each view loses the row if it was in it
 * and gains it if it now is, under the same status, number and label filters the counts were read
 * with. The row before counts as snoozed whenever it had a snooze time: the wake-up clears a time
 * that has just passed, and the counts were read while it was still ahead. A payload without the
 * columns (a database before assignment) changes nothing.
 */
export function viewCountsAfter(
	counts: InboxViewCounts,
	payload: unknown,
	filters: Pick<InboxFilters, 'status' | 'numberId' | 'labelId'>,
	viewerId: string,
	now = Date.now()
): InboxViewCounts {
	const change = countedChangeSchema.safeParse(payload);
	if (!change.success) return counts;
	const before = countedRowSchema.safeParse(change.data.old_record);
	const after = countedRowSchema.safeParse(change.data.record);
	if (!before.success && !after.success) return counts;
	const scoped = (row: z.infer<typeof countedRowSchema>) =>
		(filters.status === null || row.status === filters.status) &&
		(filters.numberId === null || row.number_id === filters.numberId) &&
		(filters.labelId === null || (row.label_ids ?? []).includes(filters.labelId));
	const next = { ...counts };
	for (const view of inboxViews) {
		const was =
			before.success && scoped(before.data) && inView(before.data, view, viewerId, -Infinity);
		const is = after.success && scoped(after.data) && inView(after.data, view, viewerId, now);
		if (was !== is) next[view] = Math.max(0, next[view] + (is ? 1 : -1));
	}
	return next;
}

/**
 * Assigns a conversation to a member, or to nobody with `null`. Resolves to null when done, or to
 * the database's sentence saying why not (an agent assigning someone else, a non-member).
 */
export async function assignConversation(
	supabase: ParleyClient,
	conversationId: string,
	assigneeId: string | null
): Promise<string | null> {
	const { error } = await supabase.rpc('assign_conversation', {
		conversation_id: conversationId,
		assignee_id: assigneeId ?? undefined
	});
	if (!error) return null;
	// The function's refusals are sentences; anything else (a lost connection) gets one.
	return error.code === '42501' || error.code === 'P0001' || error.code === 'PT404'
		? error.message
		: 'The conversation could not be assigned. Check your connection and try again.';
}

/** The distinct look of a conversation the AI handed to people. */
export const ESCALATED_BADGE =
	'inline-flex items-center gap-1 rounded-full bg-rose-600 px-2 py-0.5 text-xs font-semibold text-white';

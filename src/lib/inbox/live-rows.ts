import { z } from 'zod';
import { inView } from './assignment.ts';
import { inboxConversationSchema, type InboxConversation, type InboxFilters } from './types.ts';

const changeSchema = z.object({
	operation: z.enum(['INSERT', 'UPDATE', 'DELETE']),
	record: z.looseObject({ id: z.string() }).nullable().optional(),
	old_record: z.looseObject({ id: z.string() }).nullable().optional()
});

/** What a `conversations` broadcast says happened to one inbox row. */
export type InboxRowChange =
	| { kind: 'deleted'; id: string }
	| { kind: 'changed'; id: string; row: InboxConversation }
	/** The payload lacks the inbox columns (a database before the migration): read the row again. */
	| { kind: 'stale'; id: string };

/** Reads a `conversations` broadcast; null when it names no conversation. */
export function inboxRowChange(payload: unknown): InboxRowChange | null {
	const change = changeSchema.safeParse(payload);
	if (!change.success) return null;
	const { operation, record, old_record: old } = change.data;
	const id = record?.id ?? old?.id;
	if (!id) return null;
	if (operation === 'DELETE' || !record) return { kind: 'deleted', id };
	// Since 20261202100000_inbox_row_broadcasts the record is the row inbox_conversations returns.
	const row = inboxConversationSchema.safeParse(record);
	return row.success ? { kind: 'changed', id, row: row.data } : { kind: 'stale', id };
}

/**
 * Whether a row belongs in the inbox under these filters, decided as `inbox_conversations` decides
 * it. A search the name, username and number do not match may still match a message's words,
 * which only the database can read: then 'ask the database'. Mine is the viewer's: without one,
 * nothing is theirs.
 */
export function matchesInboxFilters(
	row: InboxConversation,
	filters: InboxFilters,
	viewerId: string | null = null
): boolean | 'ask the database' {
	if (filters.view === 'mine' && viewerId === null) return false;
	if (!inView(row, filters.view, viewerId ?? '')) return false;
	if (filters.status !== null && row.status !== filters.status) return false;
	if (filters.numberId !== null && row.number_id !== filters.numberId) return false;
	if (filters.unreadOnly && row.unread_count <= 0) return false;
	if (filters.sentiment !== null && row.sentiment !== filters.sentiment) return false;
	if (filters.labelId !== null && !row.label_ids.includes(filters.labelId)) return false;
	const search = filters.search.trim();
	if (search === '') return true;
	// `%` and `_` are wildcards to ilike: only the database reads such a search as it does.
	if (/[%_\\]/.test(search)) return 'ask the database';
	const lower = search.toLowerCase();
	if (row.contact_name?.toLowerCase().includes(lower)) return true;
	if (row.contact_username?.toLowerCase().includes(lower)) return true;
	const digits = search.replace(/[^0-9]/g, '');
	if (/^[+0-9 ().-]+$/.test(search) && digits.length >= 3 && row.contact_wa_id?.includes(digits))
		return true;
	return 'ask the database';
}

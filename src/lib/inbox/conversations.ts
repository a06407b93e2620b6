import { z } from 'zod';
import type { ParleyClient } from '$lib/supabase/types';
import {
	conversationStatuses,
	inboxConversationSchema,
	inboxViews,
	sentiments,
	type InboxConversation,
	type InboxCursor,
	type InboxFilters,
	type InboxPage
} from './types.ts';
import { NO_VIEW_COUNTS, viewCountsSchema, type InboxViewCounts } from './assignment.ts';
import { listLabels, type Label } from './labels.ts';
import { isUuid } from '$lib/ids';
import { microsecondsOf } from './timestamps.ts';

/** Rows per inbox page. */
export const INBOX_PAGE_SIZE = 25;

/** No filters: everything, newest first. */
export const NO_FILTERS: InboxFilters = {
	view: 'all',
	status: null,
	numberId: null,
	unreadOnly: false,
	sentiment: null,
	search: '',
	labelId: null
};

/**
 * Reads inbox filters from a URL's query (`?view=mine&status=open&unread=1&label=…&q=…`), ignoring
 * what is not valid.
 */
export function filtersFromSearchParams(params: URLSearchParams): InboxFilters {
	const numberId = params.get('number');
	const labelId = params.get('label');
	return {
		view: z
			.enum(inboxViews)
			.catch('all')
			.parse(params.get('view') ?? 'all'),
		status: z.enum(conversationStatuses).nullable().catch(null).parse(params.get('status')),
		numberId: numberId && isUuid(numberId) ? numberId : null,
		unreadOnly: params.get('unread') === '1',
		sentiment: z.enum(sentiments).nullable().catch(null).parse(params.get('sentiment')),
		search: (params.get('q') ?? '').slice(0, 200),
		labelId: labelId && isUuid(labelId) ? labelId : null
	};
}

/** The query keys the inbox filters use; other keys of a URL are left as they are. */
const FILTER_KEYS = ['view', 'status', 'number', 'unread', 'sentiment', 'q', 'label'] as const;

/**
 * The URL with the filters in its query, as `filtersFromSearchParams` reads them back; a filter not
 * set (and the All view) is left out, so a plain inbox keeps a plain address.
 */
export function urlWithFilters(url: URL, filters: InboxFilters): URL {
	const next = new URL(url);
	for (const key of FILTER_KEYS) next.searchParams.delete(key);
	const set = (key: (typeof FILTER_KEYS)[number], value: string | null) => {
		if (value) next.searchParams.set(key, value);
	};
	set('view', filters.view === 'all' ? null : filters.view);
	set('status', filters.status);
	set('number', filters.numberId);
	set('unread', filters.unreadOnly ? '1' : null);
	set('sentiment', filters.sentiment);
	set('label', filters.labelId);
	set('q', filters.search.trim() || null);
	return next;
}

/**
 * The rpc arguments for a page (or one row, with `onlyId`) of the inbox. A filter not set is left
 * out, so the function's default (no filter) applies. The view is always named: without one the
 * function applies none (a snoozed conversation included), which is how the chat finds its row.
 */
export function inboxRpcArgs(
	tenantId: string,
	filters: InboxFilters,
	after: InboxCursor | null = null,
	onlyId: string | null = null
) {
	return {
		tenant_id: tenantId,
		view: filters.view,
		label_id: filters.labelId ?? undefined,
		status: filters.status ?? undefined,
		number_id: filters.numberId ?? undefined,
		unread_only: filters.unreadOnly,
		sentiment: filters.sentiment ?? undefined,
		search: filters.search.trim() || undefined,
		after_activity_at: after?.activityAt,
		after_id: after?.id,
		page_size: INBOX_PAGE_SIZE,
		only_id: onlyId ?? undefined
	};
}

const inboxRows = z.array(inboxConversationSchema);

/**
 * Loads one page of a tenant's conversations through RLS, keyset-paginated so a page never
 * repeats or skips a row while new messages reorder the inbox. Works with the server's client
 * (first page) and the browser's (Load more).
 */
export async function loadInboxPage(
	supabase: ParleyClient,
	tenantId: string,
	filters: InboxFilters = NO_FILTERS,
	after: InboxCursor | null = null
): Promise<InboxPage> {
	const { data, error } = await supabase.rpc(
		'inbox_conversations',
		inboxRpcArgs(tenantId, filters, after)
	);
	if (error) throw new Error(`The conversations could not be loaded: ${error.message}`);
	const conversations = inboxRows.parse(data ?? []);
	const last = conversations.at(-1);
	return {
		conversations,
		next:
			conversations.length === INBOX_PAGE_SIZE && last
				? { activityAt: last.activity_at, id: last.id }
				: null
	};
}

/**
 * Loads one conversation as an inbox row if it is visible and matches the filters, else null.
 * Without filters it is found in any view, snoozed or not (the chat page's read).
 */
export async function loadInboxRow(
	supabase: ParleyClient,
	tenantId: string,
	conversationId: string,
	filters: InboxFilters | null = null
): Promise<InboxConversation | null> {
	const { data, error } = await supabase.rpc(
		'inbox_conversations',
		filters
			? inboxRpcArgs(tenantId, filters, null, conversationId)
			: { tenant_id: tenantId, only_id: conversationId }
	);
	if (error) throw new Error(`The conversation could not be loaded: ${error.message}`);
	return inboxRows.parse(data ?? [])[0] ?? null;
}

/** What the inbox sorts by. */
type InboxSortKey = Pick<InboxConversation, 'activity_at' | 'id'>;

/** Newest activity first, ties by id, the order `inbox_conversations` pages in. */
export function compareInboxRows(a: InboxSortKey, b: InboxSortKey): number {
	const byTime = microsecondsOf(b.activity_at) - microsecondsOf(a.activity_at);
	if (byTime !== 0) return byTime;
	return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Puts a changed row in its place (a new message moves it to the top), or takes it out when it is
 * `null` (deleted, or no longer matching the filters). Rows older than the loaded pages stay for
 * Load more to bring, so the keyset cursor remains correct.
 */
export function placeInboxRow(
	rows: readonly InboxConversation[],
	id: string,
	row: InboxConversation | null,
	cursor: InboxCursor | null
): InboxConversation[] {
	const others = rows.filter((existing) => existing.id !== id);
	if (!row) return others;
	if (cursor && !rows.some((existing) => existing.id === id)) {
		const boundary = { activity_at: cursor.activityAt, id: cursor.id };
		if (compareInboxRows(row, boundary) > 0) return others;
	}
	return [...others, row].sort(compareInboxRows);
}

/**
 * Who wrote the last message, as the inbox prefixes it: "You" for the viewer's own, "AI" for the
 * AI's, a teammate's name for theirs; nothing for the customer's (the row is theirs already).
 */
export function lastMessageAuthor(
	row: Pick<
		InboxConversation,
		| 'last_message_direction'
		| 'last_message_sender'
		| 'last_message_sender_user_id'
		| 'last_message_sender_name'
	>,
	viewerId: string
): string | null {
	if (row.last_message_direction !== 'outbound') return null;
	if (row.last_message_sender === 'ai') return 'AI';
	if (row.last_message_sender !== 'agent') return null;
	if (row.last_message_sender_user_id === viewerId) return 'You';
	return row.last_message_sender_name ?? 'A teammate';
}

/** How a contact is named in the inbox: `inbox_conversations`' contact columns. */
type ContactColumns = Pick<
	InboxConversation,
	'contact_name' | 'contact_wa_id' | 'contact_username' | 'contact_user_id'
>;

/** The contact as people read it: their WhatsApp name, else username, number or user id. */
export function contactLabel(row: ContactColumns): string {
	return row.contact_name?.trim() || contactHandle(row);
}

/**
 * The contact's handle under their name: their number, and their username when they have one (a
 * username customer may hide their number; then the username, or the user id, stands alone).
 */
export function contactHandle(row: ContactColumns): string {
	const handles = [
		row.contact_wa_id ? `+${row.contact_wa_id}` : null,
		row.contact_username?.trim() || null
	].filter(Boolean);
	return handles.join(' · ') || row.contact_user_id || 'Unknown customer';
}

/** A WhatsApp address (`whatsapp:+1555…`) or wa id as a phone number to read. */
export function phoneLabel(address: string | null): string {
	if (!address) return '';
	const digits = address.replace(/^whatsapp:/, '');
	return digits.startsWith('+') ? digits : `+${digits}`;
}

/** A number to filter the inbox by. */
export interface InboxNumberOption {
	id: string;
	display_name: string;
}

/**
 * How many conversations each view holds under the status and number filters (the tabs' counts;
 * each stops at VIEW_COUNT_CAP + 1, which a tab shows as "999+").
 */
export async function loadInboxViewCounts(
	supabase: ParleyClient,
	tenantId: string,
	filters: Pick<InboxFilters, 'status' | 'numberId' | 'labelId'> = NO_FILTERS
): Promise<InboxViewCounts> {
	const { data, error } = await supabase.rpc('inbox_view_counts', {
		tenant_id: tenantId,
		status: filters.status ?? undefined,
		number_id: filters.numberId ?? undefined,
		label_id: filters.labelId ?? undefined
	});
	if (error) throw new Error(`The conversation counts could not be loaded: ${error.message}`);
	const row = viewCountsSchema.safeParse(data?.[0]);
	return row.success ? row.data : NO_VIEW_COUNTS;
}

/**
 * What RecentConversations starts with: the filters of the page's URL, the first page under them,
 * the tenant's numbers and labels for the filters, and each view's count.
 */
export interface RecentConversationsInitial {
	filters: InboxFilters;
	page: InboxPage;
	numbers: InboxNumberOption[];
	labels: Label[];
	counts: InboxViewCounts;
	now: number;
}

/**
 * Loads what the Recent conversations table shows first (call it from a `+page.server.ts` load),
 * so the list is in the server-rendered page rather than appearing after a spinner.
 */
export async function loadRecentConversations(
	supabase: ParleyClient,
	tenantId: string,
	filters: InboxFilters = NO_FILTERS
): Promise<RecentConversationsInitial> {
	const [page, numbers, counts, labels] = await Promise.all([
		loadInboxPage(supabase, tenantId, filters),
		supabase
			.from('whatsapp_numbers')
			.select('id, display_name')
			.eq('tenant_id', tenantId)
			.order('display_name'),
		loadInboxViewCounts(supabase, tenantId, filters),
		// The list works without them; a failed read only leaves the label filter empty.
		listLabels(supabase, tenantId).catch((failure: unknown) => {
			console.error(failure);
			return [];
		})
	]);
	if (numbers.error) throw new Error(`The numbers could not be loaded: ${numbers.error.message}`);
	return { filters, page, numbers: numbers.data ?? [], labels, counts, now: Date.now() };
}

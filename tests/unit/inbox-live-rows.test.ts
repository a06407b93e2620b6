import { describe, expect, it } from 'vitest';
import { NO_FILTERS } from '../../src/lib/inbox/conversations.ts';
import { inboxRowChange, matchesInboxFilters } from '../../src/lib/inbox/live-rows.ts';
import type { InboxConversation } from '../../src/lib/inbox/types.ts';

/** A conversation as the `conversations` broadcast carries it: the row and its inbox columns. */
const inboxRow: InboxConversation & { updated_at: string } = {
	id: '5e0c0a4e-6f1b-4c2a-9d4e-1a2b3c4d5e6f',
	tenant_id: '0b000000-0000-4000-8000-000000000001',
	number_id: '1c000000-0000-4000-8000-000000000001',
	contact_id: '2d000000-0000-4000-8000-000000000001',
	status: 'open',
	ai_active: true,
	last_message_preview: 'Do you have it in blue?',
	last_message_at: '2026-12-02T09:00:00+00:00',
	last_message_direction: 'inbound',
	last_inbound_at: '2026-12-02T09:00:00+00:00',
	unread_count: 2,
	sentiment: null,
	summary: null,
	insights_at: null,
	created_at: '2026-12-01T09:00:00+00:00',
	updated_at: '2026-12-02T09:00:00+00:00',
	activity_at: '2026-12-02T09:00:00+00:00',
	contact_name: 'Ana Gómez',
	contact_wa_id: '5215512345678',
	contact_username: '@ana.g',
	contact_user_id: null,
	number_name: 'Support line',
	number_address: 'whatsapp:+14155550100',
	number_provider: 'meta',
	assignee_id: null,
	assigned_at: null,
	assignee_name: null,
	escalated_at: null,
	last_message_sender: 'customer',
	last_message_sender_user_id: null,
	last_message_sender_name: null,
	label_ids: [],
	snoozed_until: null
};

describe('inbox rows from broadcasts', () => {
	it('an insert or update carries the row the inbox shows, without the columns it does not', () => {
		const { updated_at: _updatedAt, ...shown } = inboxRow;
		expect(_updatedAt).toBeDefined();
		expect(inboxRowChange({ operation: 'UPDATE', record: inboxRow, old_record: inboxRow })).toEqual(
			{ kind: 'changed', id: inboxRow.id, row: shown }
		);
	});

	it('a delete names the row to take out', () => {
		expect(inboxRowChange({ operation: 'DELETE', record: null, old_record: { id: 'c1' } })).toEqual(
			{ kind: 'deleted', id: 'c1' }
		);
	});

	it('a payload without the inbox columns asks for the row to be read again', () => {
		// The conversation's own columns only, as broadcast_changes sends them.
		const plain: Partial<typeof inboxRow> = { ...inboxRow };
		delete plain.contact_name;
		delete plain.activity_at;
		expect(inboxRowChange({ operation: 'INSERT', record: plain, old_record: null })).toEqual({
			kind: 'stale',
			id: inboxRow.id
		});
	});

	it('something that is not a change is ignored', () => {
		expect(inboxRowChange({ operation: 'TRUNCATE' })).toBeNull();
		expect(inboxRowChange({ operation: 'UPDATE', record: null, old_record: null })).toBeNull();
		expect(inboxRowChange('hello')).toBeNull();
	});
});

describe('inbox filters on a live row', () => {
	it('status, number, unread and sentiment decide as the database does', () => {
		expect(matchesInboxFilters(inboxRow, NO_FILTERS)).toBe(true);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, status: 'open' })).toBe(true);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, status: 'closed' })).toBe(false);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, numberId: inboxRow.number_id })).toBe(
			true
		);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, numberId: inboxRow.contact_id })).toBe(
			false
		);
		expect(
			matchesInboxFilters({ ...inboxRow, unread_count: 0 }, { ...NO_FILTERS, unreadOnly: true })
		).toBe(false);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, sentiment: 'negative' })).toBe(false);
	});

	it('a search matches the name, username or number digits; anything else only the database can tell', () => {
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, search: 'gómez' })).toBe(true);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, search: 'ANA.G' })).toBe(true);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, search: '+52 1 55 1234' })).toBe(true);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, search: 'blue' })).toBe(
			'ask the database'
		);
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, search: 'an_' })).toBe(
			'ask the database'
		);
		// A filter that already excludes the row needs no search at all.
		expect(matchesInboxFilters(inboxRow, { ...NO_FILTERS, status: 'closed', search: 'blue' })).toBe(
			false
		);
	});
});

import { describe, expect, it } from 'vitest';
import {
	NO_VIEW_COUNTS,
	inView,
	viewCountLabel,
	viewCountsAfter,
	viewCountsSchema
} from '../../src/lib/inbox/assignment.ts';
import { NO_FILTERS, filtersFromSearchParams } from '../../src/lib/inbox/conversations.ts';
import { matchesInboxFilters } from '../../src/lib/inbox/live-rows.ts';
import type { InboxConversation } from '../../src/lib/inbox/types.ts';

const me = 'aaaaaaaa-0000-4000-8000-000000000001';
const teammate = 'bbbbbbbb-0000-4000-8000-000000000002';

/** The plain conversation columns a broadcast's old_record carries. */
const plain = {
	id: '5e0c0a4e-6f1b-4c2a-9d4e-1a2b3c4d5e6f',
	status: 'open',
	number_id: '1c000000-0000-4000-8000-000000000001',
	assignee_id: null as string | null,
	escalated_at: null as string | null
};

describe('inbox views', () => {
	it('Mine is the viewer’s, Unassigned nobody’s, Escalated the AI’s hand-overs, All everything', () => {
		const unassigned = { assignee_id: null, escalated_at: null };
		const mine = { assignee_id: me, escalated_at: null };
		const escalated = { assignee_id: null, escalated_at: '2026-12-02T09:00:00Z' };
		expect(inView(mine, 'mine', me)).toBe(true);
		expect(inView(mine, 'mine', teammate)).toBe(false);
		expect(inView(unassigned, 'unassigned', me)).toBe(true);
		expect(inView(mine, 'unassigned', me)).toBe(false);
		expect(inView(escalated, 'escalated', me)).toBe(true);
		expect(inView(escalated, 'unassigned', me)).toBe(true);
		expect(inView(mine, 'escalated', me)).toBe(false);
		expect(inView(mine, 'all', teammate)).toBe(true);
	});

	it('a live row leaves Unassigned for Mine when the viewer takes it', () => {
		const row: InboxConversation = {
			...plain,
			status: 'open',
			assignee_id: me,
			tenant_id: '0b000000-0000-4000-8000-000000000001',
			contact_id: '2d000000-0000-4000-8000-000000000001',
			ai_active: true,
			last_message_preview: 'Hello',
			last_message_at: '2026-12-02T09:00:00+00:00',
			last_message_direction: 'inbound',
			last_inbound_at: '2026-12-02T09:00:00+00:00',
			unread_count: 1,
			sentiment: null,
			summary: null,
			insights_at: null,
			created_at: '2026-12-01T09:00:00+00:00',
			activity_at: '2026-12-02T09:00:00+00:00',
			contact_name: 'Ana Gómez',
			contact_wa_id: '5215512345678',
			contact_username: null,
			contact_user_id: null,
			number_name: 'Support line',
			number_address: 'whatsapp:+14155550100',
			number_provider: 'meta',
			assigned_at: '2026-12-02T09:00:00+00:00',
			assignee_name: 'Me',
			last_message_sender: 'customer',
			last_message_sender_user_id: null,
			last_message_sender_name: null,
			label_ids: [],
			snoozed_until: null
		};
		expect(matchesInboxFilters(row, { ...NO_FILTERS, view: 'mine' }, me)).toBe(true);
		expect(matchesInboxFilters(row, { ...NO_FILTERS, view: 'unassigned' }, me)).toBe(false);
		expect(matchesInboxFilters(row, { ...NO_FILTERS, view: 'mine' })).toBe(false);
	});

	it('the view comes from the address, and an unknown one reads as All', () => {
		expect(filtersFromSearchParams(new URLSearchParams('view=mine')).view).toBe('mine');
		expect(filtersFromSearchParams(new URLSearchParams('view=nobody')).view).toBe('all');
		expect(filtersFromSearchParams(new URLSearchParams('')).view).toBe('all');
	});
});

describe('tab counts kept live from broadcasts', () => {
	const counts = { mine: 2, unassigned: 5, all: 9, escalated: 1, snoozed: 0 };
	const filters = { status: null, numberId: null, labelId: null };

	it('taking an unassigned conversation moves one from Unassigned to Mine', () => {
		const taken = viewCountsAfter(
			counts,
			{ operation: 'UPDATE', old_record: plain, record: { ...plain, assignee_id: me } },
			filters,
			me
		);
		expect(taken).toEqual({ mine: 3, unassigned: 4, all: 9, escalated: 1, snoozed: 0 });
	});

	it('a teammate taking one leaves my Mine alone', () => {
		const taken = viewCountsAfter(
			counts,
			{ operation: 'UPDATE', old_record: plain, record: { ...plain, assignee_id: teammate } },
			filters,
			me
		);
		expect(taken).toEqual({ mine: 2, unassigned: 4, all: 9, escalated: 1, snoozed: 0 });
	});

	it('a new escalated conversation counts in All, Unassigned and Escalated; a delete takes it out', () => {
		const escalated = { ...plain, escalated_at: '2026-12-02T09:00:00Z' };
		const added = viewCountsAfter(
			counts,
			{ operation: 'INSERT', old_record: null, record: escalated },
			filters,
			me
		);
		expect(added).toEqual({ mine: 2, unassigned: 6, all: 10, escalated: 2, snoozed: 0 });
		expect(
			viewCountsAfter(
				added,
				{ operation: 'DELETE', old_record: escalated, record: null },
				filters,
				me
			)
		).toEqual(counts);
	});

	it('counts read under a status filter follow a conversation closing out of it', () => {
		const closed = viewCountsAfter(
			counts,
			{ operation: 'UPDATE', old_record: plain, record: { ...plain, status: 'closed' } },
			{ status: 'open', numberId: null, labelId: null },
			me
		);
		expect(closed).toEqual({ mine: 2, unassigned: 4, all: 8, escalated: 1, snoozed: 0 });
	});

	it('a payload without the columns changes nothing', () => {
		expect(viewCountsAfter(counts, { operation: 'UPDATE', record: { id: 'x' } }, filters, me)).toBe(
			counts
		);
		expect(viewCountsAfter(NO_VIEW_COUNTS, 'hello', filters, me)).toBe(NO_VIEW_COUNTS);
	});

	it('the database row reads as the tabs name it, and big counts say 999+', () => {
		expect(
			viewCountsSchema.parse({ mine: 1, unassigned: 2, all_conversations: 3, escalated: 0 })
		).toEqual({ mine: 1, unassigned: 2, all: 3, escalated: 0, snoozed: 0 });
		expect(viewCountLabel(12)).toBe('12');
		expect(viewCountLabel(1000)).toBe('999+');
	});
});

import { describe, expect, it } from 'vitest';
import { inView, viewCountsAfter, viewCountsSchema } from '../../src/lib/inbox/assignment.ts';
import {
	NO_FILTERS,
	filtersFromSearchParams,
	inboxRpcArgs,
	urlWithFilters
} from '../../src/lib/inbox/conversations.ts';
import { labelFormSchema, labelsAfter, labelsOf, type Label } from '../../src/lib/inbox/labels.ts';
import { isSnoozed, localInputValue, pickedMoment } from '../../src/lib/inbox/snooze.ts';

const me = 'aaaaaaaa-0000-4000-8000-000000000001';
const labelId = 'cccccccc-0000-4000-8000-000000000003';

describe('the label form', () => {
	it('trims a name and keeps single spaces', () => {
		expect(labelFormSchema.parse({ name: '  VIP   customer ', colour: 'violet' })).toEqual({
			name: 'VIP customer',
			colour: 'violet'
		});
	});

	it('refuses a NUL character, an empty or long name and an unknown colour in sentences', () => {
		const messages = (input: unknown) =>
			labelFormSchema.safeParse(input).error?.issues.map((issue) => issue.message);
		expect(messages({ name: 'Bad\u0000name', colour: 'red' })).toEqual([
			'A label name cannot hold a NUL character; type it again.'
		]);
		expect(messages({ name: '   ', colour: 'red' })).toEqual([
			'Enter a name, like "VIP" or "Refund".'
		]);
		expect(messages({ name: 'x'.repeat(41), colour: 'red' })).toEqual([
			'Keep the name to 40 characters.'
		]);
		expect(messages({ name: 'Fine', colour: 'chartreuse' })).toEqual([
			'Choose one of the colours.'
		]);
	});
});

describe('labels kept live', () => {
	const vip: Label = { id: 'l1', name: 'VIP', colour: 'violet' };
	const refund: Label = { id: 'l2', name: 'refund', colour: 'red' };

	it('a created label joins the list in name order; a rename moves it; a delete takes it out', () => {
		const created = labelsAfter([vip], { operation: 'INSERT', record: refund, old_record: null });
		expect(created.map((label) => label.name)).toEqual(['refund', 'VIP']);
		const renamed = labelsAfter(created, {
			operation: 'UPDATE',
			record: { ...refund, name: 'Zebra', colour: 'teal', tenant_id: 't' },
			old_record: refund
		});
		expect(renamed).toEqual([vip, { id: 'l2', name: 'Zebra', colour: 'teal' }]);
		expect(labelsAfter(renamed, { operation: 'DELETE', record: null, old_record: vip })).toEqual([
			{ id: 'l2', name: 'Zebra', colour: 'teal' }
		]);
		expect(labelsAfter(renamed, 'nonsense')).toEqual(renamed);
	});

	it("a conversation's labels are named from the list; a deleted one is skipped", () => {
		expect(labelsOf(['l2', 'gone'], [vip, refund])).toEqual([refund]);
	});
});

describe('filters in the address', () => {
	it('the label and the Snoozed view go into the URL and come back; other keys stay', () => {
		const filters = { ...NO_FILTERS, view: 'snoozed' as const, labelId, search: ' order ' };
		const url = urlWithFilters(
			new URL('https://parley.test/app/acme/whatsapp?tab=numbers'),
			filters
		);
		expect(url.searchParams.get('tab')).toBe('numbers');
		expect(url.searchParams.get('label')).toBe(labelId);
		expect(filtersFromSearchParams(url.searchParams)).toEqual({ ...filters, search: 'order' });
		expect(urlWithFilters(url, NO_FILTERS).search).toBe('?tab=numbers');
	});

	it('a label that is not an id is dropped; the rpc gets the view and the label', () => {
		expect(filtersFromSearchParams(new URLSearchParams('label=vip')).labelId).toBeNull();
		expect(inboxRpcArgs('t', { ...NO_FILTERS, labelId })).toMatchObject({
			view: 'all',
			label_id: labelId
		});
	});
});

describe('snoozed views', () => {
	const now = Date.parse('2026-12-04T10:00:00Z');
	const ahead = '2026-12-05T09:00:00Z';
	const passed = '2026-12-04T09:59:00Z';

	it('a snooze ahead shows only in Snoozed; a passed one is awake everywhere else', () => {
		const snoozed = { assignee_id: me, escalated_at: null, snoozed_until: ahead };
		expect(isSnoozed(ahead, now)).toBe(true);
		expect(inView(snoozed, 'snoozed', me, now)).toBe(true);
		for (const view of ['mine', 'all', 'unassigned', 'escalated'] as const)
			expect(inView(snoozed, view, me, now)).toBe(false);
		const awake = { ...snoozed, snoozed_until: passed };
		expect(inView(awake, 'snoozed', me, now)).toBe(false);
		expect(inView(awake, 'mine', me, now)).toBe(true);
	});

	it('the wake-up moves one from Snoozed back to its views', () => {
		const counts = { mine: 0, unassigned: 3, all: 3, escalated: 0, snoozed: 1 };
		const row = {
			id: 'c1',
			status: 'open',
			number_id: 'n1',
			assignee_id: null,
			escalated_at: null,
			label_ids: [labelId]
		};
		const woken = viewCountsAfter(
			counts,
			{ operation: 'UPDATE', old_record: { ...row, snoozed_until: passed }, record: row },
			{ status: null, numberId: null, labelId: null },
			me,
			now
		);
		expect(woken).toEqual({ mine: 0, unassigned: 4, all: 4, escalated: 0, snoozed: 0 });
		// Counted under another label's filter, the row is not there at all.
		const elsewhere = viewCountsAfter(
			counts,
			{ operation: 'UPDATE', old_record: { ...row, snoozed_until: passed }, record: row },
			{ status: null, numberId: null, labelId: 'dddddddd-0000-4000-8000-000000000004' },
			me,
			now
		);
		expect(elsewhere).toEqual(counts);
	});

	it('a database before snoozes counts none snoozed', () => {
		expect(
			viewCountsSchema.parse({ mine: 1, unassigned: 0, all_conversations: 1, escalated: 0 })
		).toMatchObject({ snoozed: 0 });
	});

	it('a picked time is read in local time, and only a real one', () => {
		const moment = pickedMoment('2026-12-08T09:30');
		expect(moment && localInputValue(moment)).toBe('2026-12-08T09:30');
		expect(pickedMoment('')).toBeNull();
		expect(pickedMoment('next tuesday')).toBeNull();
	});
});

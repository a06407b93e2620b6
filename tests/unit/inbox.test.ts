import { describe, expect, it } from 'vitest';
import {
	contactHandle,
	contactLabel,
	filtersFromSearchParams,
	inboxRpcArgs,
	NO_FILTERS,
	phoneLabel,
	placeInboxRow
} from '../../src/lib/inbox/conversations.ts';
import {
	deliveryLabel,
	mergeMessage,
	pendingCopyOf,
	senderLabel,
	serviceWindow,
	windowRemainingLabel
} from '../../src/lib/inbox/messages.ts';
import { applyNotificationChange } from '../../src/lib/inbox/notifications.ts';
import type {
	ChatMessage,
	InboxConversation,
	InboxNotification
} from '../../src/lib/inbox/types.ts';

const row = (id: string, activityAt: string, extra: Partial<InboxConversation> = {}) =>
	({
		id,
		activity_at: activityAt,
		contact_name: null,
		contact_wa_id: '5215512345678',
		...extra
	}) as InboxConversation;

const msg = (id: string, createdAt: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
	id,
	conversation_id: 'c',
	direction: 'outbound',
	sender: 'agent',
	sender_user_id: 'u1',
	type: 'text',
	body: 'hi',
	media: null,
	location: null,
	provider_message_id: null,
	status: 'sent',
	error_code: null,
	error_message: null,
	created_at: createdAt,
	...extra
});

describe('inbox list', () => {
	it('a new message moves its conversation to the top', () => {
		const rows = [row('a', '2026-11-25T10:00:00Z'), row('b', '2026-11-25T09:00:00Z')];
		const placed = placeInboxRow(rows, 'b', row('b', '2026-11-25T11:00:00Z'), null);
		expect(placed.map((r) => r.id)).toEqual(['b', 'a']);
	});

	it('a conversation that no longer matches the filters leaves the list', () => {
		const rows = [row('a', '2026-11-25T10:00:00Z'), row('b', '2026-11-25T09:00:00Z')];
		expect(placeInboxRow(rows, 'a', null, null).map((r) => r.id)).toEqual(['b']);
	});

	it('an unseen conversation older than the loaded pages waits for Load more', () => {
		const rows = [row('a', '2026-11-25T10:00:00Z')];
		const cursor = { activityAt: '2026-11-25T10:00:00Z', id: 'a' };
		expect(placeInboxRow(rows, 'z', row('z', '2026-11-20T10:00:00Z'), cursor)).toHaveLength(1);
		expect(placeInboxRow(rows, 'n', row('n', '2026-11-25T12:00:00Z'), cursor)[0].id).toBe('n');
	});

	it('ties on time are ordered by id, as the database pages them', () => {
		const at = '2026-11-25T10:00:00Z';
		const placed = placeInboxRow([row('a', at)], 'b', row('b', at), null);
		expect(placed.map((r) => r.id)).toEqual(['b', 'a']);
	});

	it('filters from a URL keep only valid values', () => {
		const filters = filtersFromSearchParams(
			new URLSearchParams('status=open&sentiment=angry&number=nope&unread=1&q=order&view=theirs')
		);
		expect(filters).toEqual({
			view: 'all',
			status: 'open',
			numberId: null,
			unreadOnly: true,
			sentiment: null,
			search: 'order',
			labelId: null
		});
	});

	it('a view from a URL is kept when it is one of the tabs', () => {
		expect(filtersFromSearchParams(new URLSearchParams('view=unassigned')).view).toBe('unassigned');
		expect(filtersFromSearchParams(new URLSearchParams('view=mine')).view).toBe('mine');
	});

	it('a blank search is no search, and the cursor goes to the rpc', () => {
		const args = inboxRpcArgs('t', { ...NO_FILTERS, search: '  ' }, { activityAt: 'x', id: 'y' });
		expect(args).toMatchObject({ search: undefined, after_activity_at: 'x', after_id: 'y' });
	});

	it('contacts read as their name, else their number, username or user id', () => {
		const contact = {
			contact_name: null,
			contact_wa_id: null,
			contact_username: null,
			contact_user_id: null
		};
		expect(contactLabel({ ...contact, contact_name: ' Ana ', contact_wa_id: '1' })).toBe('Ana');
		expect(contactLabel({ ...contact, contact_wa_id: '5215512345678' })).toBe('+5215512345678');
		const usernameOnly = {
			...contact,
			contact_username: '@realsheena',
			contact_user_id: 'US.13491208655302741918'
		};
		expect(contactLabel(usernameOnly)).toBe('@realsheena');
		expect(contactHandle(usernameOnly)).toBe('@realsheena');
		expect(contactHandle({ ...usernameOnly, contact_wa_id: '15550001' })).toBe(
			'+15550001 · @realsheena'
		);
		expect(contactLabel({ ...contact, contact_user_id: 'US.13491208655302741918' })).toBe(
			'US.13491208655302741918'
		);
		expect(phoneLabel('whatsapp:+15550100001')).toBe('+15550100001');
	});
});

describe('chat thread', () => {
	it('the server row replaces the pending copy it was sent for', () => {
		const pending = msg('pending-1', '2026-11-25T10:00:00Z', { pending: true, status: 'queued' });
		const merged = mergeMessage([pending], msg('m1', '2026-11-25T10:00:01Z'), 'pending-1');
		expect(merged.map((m) => m.id)).toEqual(['m1']);
	});

	it('my reply arriving live before the send answers replaces its pending copy', () => {
		const pending = msg('pending-1', '2026-11-25T10:00:00Z', { pending: true, body: 'On its way' });
		const live = msg('m1', '2026-11-25T10:00:01Z', { body: 'On its way', status: 'queued' });
		expect(pendingCopyOf([pending], live, 'u1')).toBe('pending-1');
		expect(pendingCopyOf([pending], live, 'someone-else')).toBeUndefined();
		const merged = mergeMessage([pending], live, pendingCopyOf([pending], live, 'u1'));
		expect(merged.map((m) => m.id)).toEqual(['m1']);
	});

	it('a late delivered after read does not move the ticks back', () => {
		const read = msg('m1', '2026-11-25T10:00:00Z', { status: 'read' });
		const late = msg('m1', '2026-11-25T10:00:00Z', { status: 'delivered' });
		expect(mergeMessage([read], late)[0].status).toBe('read');
	});

	it('a retried failed message goes back to sending', () => {
		const failed = msg('m1', '2026-11-25T10:00:00Z', { status: 'failed' });
		const queued = msg('m1', '2026-11-25T10:00:00Z', { status: 'queued' });
		expect(mergeMessage([failed], queued)[0].status).toBe('queued');
		expect(deliveryLabel(queued)).toBe('Sending');
	});

	it('messages are shown oldest first whatever order they arrive in', () => {
		const thread = mergeMessage(
			[msg('b', '2026-11-25T10:00:02Z')],
			msg('a', '2026-11-25T10:00:01Z')
		);
		expect(thread.map((m) => m.id)).toEqual(['a', 'b']);
	});

	it('the 24-hour window is open for a day after the customer last wrote', () => {
		const last = '2026-11-25T10:00:00Z';
		const now = Date.parse('2026-11-25T11:30:00Z');
		const open = serviceWindow(last, now);
		expect(open.open).toBe(true);
		expect(windowRemainingLabel(open, now)).toBe('22h 30m');
		expect(serviceWindow(last, Date.parse('2026-11-26T10:00:01Z')).open).toBe(false);
		expect(serviceWindow(null, now)).toEqual({ open: false, closesAt: null });
	});

	it('senders read as the customer, You, a teammate by name, or AI', () => {
		const names = new Map([['u2', 'Sofia Agent']]);
		expect(senderLabel({ sender: 'customer', sender_user_id: null }, 'Ana', names, 'u1')).toBe(
			'Ana'
		);
		expect(senderLabel({ sender: 'agent', sender_user_id: 'u1' }, 'Ana', names, 'u1')).toBe('You');
		expect(senderLabel({ sender: 'agent', sender_user_id: 'u2' }, 'Ana', names, 'u1')).toBe(
			'Sofia Agent'
		);
		expect(senderLabel({ sender: 'ai', sender_user_id: null }, 'Ana', names, 'u1')).toBe('AI');
	});
});

describe('notifications', () => {
	const note = (id: string, createdAt: string, extra: Partial<InboxNotification> = {}) =>
		({ id, tenant_id: 't', created_at: createdAt, read_at: null, ...extra }) as InboxNotification;

	it('a new notification goes on top and a read mark updates it in place', () => {
		const list = [note('a', '2026-11-25T10:00:00Z')];
		const added = applyNotificationChange(
			list,
			'INSERT',
			note('b', '2026-11-25T11:00:00Z'),
			null,
			't'
		);
		expect(added.map((n) => n.id)).toEqual(['b', 'a']);
		const read = applyNotificationChange(
			added,
			'UPDATE',
			note('a', '2026-11-25T10:00:00Z', { read_at: '2026-11-25T12:00:00Z' }),
			null,
			't'
		);
		expect(read.map((n) => [n.id, Boolean(n.read_at)])).toEqual([
			['b', false],
			['a', true]
		]);
	});

	it('notifications of another workspace stay out of this one', () => {
		const other = note('x', '2026-11-25T10:00:00Z', { tenant_id: 'other' });
		expect(applyNotificationChange([], 'INSERT', other, null, 't')).toEqual([]);
	});
});

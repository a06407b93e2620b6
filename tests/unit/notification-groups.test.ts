import { describe, expect, it } from 'vitest';
import {
	deservesDesktopAlert,
	groupNotifications,
	titleWithCount
} from '../../src/lib/inbox/notifications.ts';
import type { InboxNotification } from '../../src/lib/inbox/types.ts';

let counter = 0;
const notification = (
	minute: number,
	conversation: string | null,
	extra: Partial<InboxNotification> = {}
): InboxNotification => ({
	id: `n${String(++counter).padStart(3, '0')}`,
	tenant_id: 't1',
	kind: 'new_message',
	conversation_id: conversation,
	title: `message at ${minute}`,
	body: null,
	read_at: null,
	created_at: `2026-12-02T10:${String(minute).padStart(2, '0')}:00Z`,
	...extra
});

describe('notification groups', () => {
	it('makes one entry per conversation, newest conversation first, counting its unread', () => {
		const list = [
			notification(1, 'a'),
			notification(2, 'b', { read_at: '2026-12-02T10:03:00Z' }),
			notification(4, 'a'),
			notification(5, 'b'),
			notification(6, 'a', { read_at: '2026-12-02T10:07:00Z' })
		];
		const groups = groupNotifications(list);
		expect(groups.map((group) => [group.key, group.unread, group.items.length])).toEqual([
			['conversation-a', 2, 3],
			['conversation-b', 1, 2]
		]);
		expect(groups[0].latest.title).toBe('message at 6');
		expect(groups[0].items.map((item) => item.title)).toEqual([
			'message at 6',
			'message at 4',
			'message at 1'
		]);
	});

	it('leads with an unread escalation over newer messages, and with the newest once it is read', () => {
		const escalation = notification(2, 'c', { kind: 'escalation', title: 'Ana needs a person' });
		const [group] = groupNotifications([notification(1, 'c'), escalation, notification(3, 'c')]);
		expect(group.lead.title).toBe('Ana needs a person');
		expect(group.latest.title).toBe('message at 3');
		const [read] = groupNotifications([
			{ ...escalation, read_at: '2026-12-02T10:04:00Z' },
			notification(3, 'c')
		]);
		expect(read.lead.kind).toBe('new_message');
	});

	it('keeps notifications without a conversation apart, and ties in time stay in id order', () => {
		const groups = groupNotifications([
			notification(1, null, { kind: 'credentials' }),
			notification(1, null, { kind: 'credentials' }),
			notification(1, 'd')
		]);
		expect(groups).toHaveLength(3);
		expect(groups.map((group) => group.latest.id)).toEqual(
			[...groups.map((group) => group.latest.id)].sort().reverse()
		);
	});
});

describe('the tab title', () => {
	it('puts the unread count in front once, and takes it away at zero', () => {
		expect(titleWithCount('Inbox · Acme · Parley', 3)).toBe('(3) Inbox · Acme · Parley');
		expect(titleWithCount('(3) Inbox · Acme · Parley', 4)).toBe('(4) Inbox · Acme · Parley');
		expect(titleWithCount('(4) Inbox · Acme · Parley', 0)).toBe('Inbox · Acme · Parley');
		expect(titleWithCount('Parley', 250)).toBe('(99+) Parley');
		expect(titleWithCount('(99+) Parley', 2)).toBe('(2) Parley');
	});
});

describe('desktop alerts', () => {
	it('alert for escalations, assignments and mentions, and new messages only in my conversations', () => {
		expect(deservesDesktopAlert('escalation', false)).toBe(true);
		expect(deservesDesktopAlert('assignment', false)).toBe(true);
		expect(deservesDesktopAlert('mention', false)).toBe(true);
		expect(deservesDesktopAlert('new_message', true)).toBe(true);
		expect(deservesDesktopAlert('new_message', false)).toBe(false);
		expect(deservesDesktopAlert('credentials', true)).toBe(false);
	});
});

import { describe, expect, it } from 'vitest';
import {
	calendarDay,
	dayLabel,
	messageTime,
	withDaySeparators
} from '../../src/lib/inbox/format.ts';
import { lastMessageAuthor } from '../../src/lib/inbox/conversations.ts';
import { compareMessages } from '../../src/lib/inbox/messages.ts';
import { compareInboxRows } from '../../src/lib/inbox/conversations.ts';
import { compareNotifications } from '../../src/lib/inbox/notifications.ts';
import type { InboxNotification } from '../../src/lib/inbox/types.ts';
import { microsecondsOf } from '../../src/lib/inbox/timestamps.ts';

const at = (iso: string) => ({ at: iso, key: iso });

describe('message times', () => {
	it('shows the hour unpadded in the locale, in the time zone', () => {
		const iso = '2026-12-02T09:05:00Z';
		expect(messageTime(iso, { locale: 'en-US', timeZone: 'UTC' })).toMatch(/^9:05\sAM$/);
		expect(messageTime(iso, { locale: 'en-GB', timeZone: 'UTC' })).toBe('9:05');
		expect(messageTime(iso, { locale: 'de-DE', timeZone: 'UTC' })).toBe('9:05');
		expect(messageTime(iso, { locale: 'de-DE', timeZone: 'Europe/Berlin' })).toBe('10:05');
		expect(messageTime(iso, { locale: 'en-US', timeZone: 'America/Los_Angeles' })).toMatch(
			/^1:05\sAM$/
		);
		expect(messageTime('2026-12-02T21:45:00Z', { locale: 'es-MX', timeZone: 'UTC' })).toMatch(
			/^9:45\sp\.\s?m\.$/
		);
	});

	it('reads midnight as the start of the day: 12:00 AM in en-US and 0:00 in de', () => {
		const midnight = '2026-12-02T00:00:00Z';
		expect(messageTime(midnight, { locale: 'en-US', timeZone: 'UTC' })).toMatch(/^12:00\sAM$/);
		expect(messageTime(midnight, { locale: 'de-DE', timeZone: 'UTC' })).toBe('0:00');
	});
});

describe('day separators', () => {
	const now = Date.parse('2026-12-02T15:00:00Z');
	const utc = { locale: 'en-US', timeZone: 'UTC' };

	it('says Today, Yesterday, the weekday, then the date, with the year only when not this one', () => {
		expect(dayLabel('2026-12-02T08:00:00Z', now, utc)).toBe('Today');
		expect(dayLabel('2026-12-01T23:59:59Z', now, utc)).toBe('Yesterday');
		expect(dayLabel('2026-11-29T10:00:00Z', now, utc)).toBe('Sunday');
		expect(dayLabel('2026-11-25T10:00:00Z', now, utc)).toBe('Wed, November 25');
		expect(dayLabel('2025-12-30T10:00:00Z', now, utc)).toBe('December 30, 2025');
	});

	it('speaks the locale', () => {
		const berlin = { locale: 'de-DE', timeZone: 'Europe/Berlin' };
		expect(dayLabel('2026-12-02T08:00:00Z', now, berlin)).toBe('Heute');
		expect(dayLabel('2026-12-01T08:00:00Z', now, berlin)).toBe('Gestern');
		expect(dayLabel('2026-11-30T08:00:00Z', now, berlin)).toBe('Montag');
		expect(dayLabel('2026-12-02T08:00:00Z', now, { locale: 'fr-FR', timeZone: 'UTC' })).toBe(
			"Aujourd'hui".replace("'", '’')
		);
		expect(dayLabel('2026-12-01T08:00:00Z', now, { locale: 'es-MX', timeZone: 'UTC' })).toBe(
			'Ayer'
		);
	});

	it('counts days in the user’s time zone: 23:30 UTC is already tomorrow in Berlin', () => {
		const late = '2026-12-01T23:30:00Z';
		expect(dayLabel(late, now, utc)).toBe('Yesterday');
		expect(dayLabel(late, now, { locale: 'en-US', timeZone: 'Europe/Berlin' })).toBe('Today');
		expect(dayLabel(late, now, { locale: 'en-US', timeZone: 'America/New_York' })).toBe(
			'Yesterday'
		);
	});

	it('puts one separator before the first message of each day, split at midnight', () => {
		const rows = withDaySeparators(
			[
				at('2026-12-01T10:00:00Z'),
				at('2026-12-01T23:59:59Z'),
				at('2026-12-02T00:00:00Z'),
				at('2026-12-02T08:00:00Z')
			],
			now,
			utc
		);
		expect(rows.map((row) => ('label' in row ? row.label : row.at))).toEqual([
			'Yesterday',
			'2026-12-01T10:00:00Z',
			'2026-12-01T23:59:59Z',
			'Today',
			'2026-12-02T00:00:00Z',
			'2026-12-02T08:00:00Z'
		]);
		expect(new Set(rows.map((row) => row.key)).size).toBe(rows.length);
	});

	it('keeps a day whole across a DST change, whose day is 23 or 25 hours long', () => {
		// Europe/Berlin springs forward on 29 March 2026 (23 hours) and falls back on 25 October (25).
		const berlin = { locale: 'en-GB', timeZone: 'Europe/Berlin' };
		const spring = [at('2026-03-28T23:30:00Z'), at('2026-03-29T21:59:00Z')];
		expect(withDaySeparators(spring, Date.parse('2026-03-30T12:00:00Z'), berlin)).toHaveLength(3);
		const autumn = [at('2026-10-24T22:00:00Z'), at('2026-10-25T22:59:00Z')];
		expect(withDaySeparators(autumn, Date.parse('2026-10-26T12:00:00Z'), berlin)).toHaveLength(3);
		expect(dayLabel('2026-10-24T22:30:00Z', Date.parse('2026-10-26T12:00:00Z'), berlin)).toBe(
			'Yesterday'
		);
		// One calendar day apart, however many hours the day had.
		expect(
			calendarDay(Date.parse('2026-03-29T21:59:00Z'), 'Europe/Berlin') -
				calendarDay(Date.parse('2026-03-28T23:30:00Z'), 'Europe/Berlin')
		).toBe(0);
		expect(
			calendarDay(Date.parse('2026-03-29T22:00:00Z'), 'Europe/Berlin') -
				calendarDay(Date.parse('2026-03-28T23:00:00Z'), 'Europe/Berlin')
		).toBe(1);
		// In New York the clocks fall back at 2:00 on 1 November: 1:30 happens twice, one day.
		const ny = { locale: 'en-US', timeZone: 'America/New_York' };
		expect(messageTime('2026-11-01T05:30:00Z', ny)).toMatch(/^1:30\sAM$/);
		expect(messageTime('2026-11-01T06:30:00Z', ny)).toMatch(/^1:30\sAM$/);
		expect(
			withDaySeparators(
				[at('2026-11-01T05:30:00Z'), at('2026-11-01T06:30:00Z')],
				Date.parse('2026-11-01T12:00:00Z'),
				ny
			).filter((row) => 'label' in row)
		).toEqual([
			{ kind: 'day', key: expect.any(String), label: 'Today', at: '2026-11-01T05:30:00Z' }
		]);
	});
});

describe('thread order', () => {
	it('puts Parley’s note after a message written at the same instant, whatever the ids', () => {
		const when = '2026-12-02T10:00:00.000Z';
		const note = { id: 'a', sender: 'system' as const, created_at: when };
		const handover = { id: 'b', sender: 'ai' as const, created_at: when };
		expect([note, handover].sort(compareMessages).map((m) => m.sender)).toEqual(['ai', 'system']);
		expect([handover, note].sort(compareMessages).map((m) => m.sender)).toEqual(['ai', 'system']);
		const earlier = { ...note, created_at: '2026-12-02T09:59:59.999Z' };
		expect([handover, earlier].sort(compareMessages).map((m) => m.sender)).toEqual([
			'system',
			'ai'
		]);
	});
});

describe('thread order to the microsecond', () => {
	it('orders a batch stamped a microsecond apart, whatever the ids', () => {
		const batch = ['49.123456', '49.123457', '49.12346', '49.1235', '49.124', '50'].map(
			(seconds, index) => ({
				id: String.fromCharCode(122 - index),
				sender: 'customer' as const,
				created_at: `2026-12-03T11:26:${seconds}+00:00`
			})
		);
		expect([...batch].reverse().sort(compareMessages)).toEqual(batch);
		expect([batch[3], batch[0], batch[5], batch[1]].sort(compareMessages)).toEqual([
			batch[0],
			batch[1],
			batch[3],
			batch[5]
		]);
	});

	it('sorts the inbox and notifications newest first to the microsecond, as the database pages them', () => {
		const older = '2026-12-03T11:26:49.123456+00:00';
		const newer = '2026-12-03T11:26:49.123457+00:00';
		const rows = [
			{ id: 'z', activity_at: older },
			{ id: 'a', activity_at: newer }
		];
		expect([...rows].sort(compareInboxRows).map((row) => row.id)).toEqual(['a', 'z']);
		const notes = [
			{ id: 'z', created_at: older },
			{ id: 'a', created_at: newer }
		] as InboxNotification[];
		expect([...notes].sort(compareNotifications).map((row) => row.id)).toEqual(['a', 'z']);
	});

	it('reads the offset and a browser timestamp alike', () => {
		expect(microsecondsOf('2026-12-03T12:26:49.5+01:00')).toBe(
			microsecondsOf('2026-12-03T11:26:49.500Z')
		);
		expect(microsecondsOf('2026-12-03T11:26:49.000001+00:00')).toBe(
			Date.parse('2026-12-03T11:26:49Z') * 1000 + 1
		);
	});
});

describe('who wrote the last message, in the inbox', () => {
	const outbound = {
		last_message_direction: 'outbound' as const,
		last_message_sender_name: 'Bruno Agent'
	};
	it('is You for the viewer, AI for the AI, a teammate by name, and nothing for the customer', () => {
		expect(
			lastMessageAuthor(
				{ ...outbound, last_message_sender: 'agent', last_message_sender_user_id: 'me' },
				'me'
			)
		).toBe('You');
		expect(
			lastMessageAuthor(
				{ ...outbound, last_message_sender: 'agent', last_message_sender_user_id: 'bruno' },
				'me'
			)
		).toBe('Bruno Agent');
		expect(
			lastMessageAuthor(
				{ ...outbound, last_message_sender: 'ai', last_message_sender_user_id: null },
				'me'
			)
		).toBe('AI');
		expect(
			lastMessageAuthor(
				{
					...outbound,
					last_message_direction: 'inbound',
					last_message_sender: 'customer',
					last_message_sender_user_id: null
				},
				'me'
			)
		).toBeNull();
		expect(
			lastMessageAuthor(
				{
					...outbound,
					last_message_sender: 'agent',
					last_message_sender_user_id: 'gone',
					last_message_sender_name: null
				},
				'me'
			)
		).toBe('A teammate');
	});
});

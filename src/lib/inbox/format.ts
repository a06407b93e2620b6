import type { Sentiment } from './types.ts';

/** Tailwind classes and words for a conversation's sentiment. */
export const SENTIMENT_STYLE: Record<Sentiment, { label: string; classes: string }> = {
	positive: { label: 'Positive', classes: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20' },
	neutral: { label: 'Neutral', classes: 'bg-slate-100 text-slate-700 ring-slate-500/20' },
	negative: { label: 'Negative', classes: 'bg-rose-50 text-rose-700 ring-rose-600/20' }
};

/** Tailwind classes for a conversation's status badge. */
export const STATUS_STYLE = {
	open: 'bg-brand-50 text-brand-800 ring-brand-600/20',
	closed: 'bg-slate-100 text-slate-700 ring-slate-500/20',
	archived: 'bg-amber-50 text-amber-800 ring-amber-600/20'
} as const;

/** The runtime's own locale and time zone when none is given (the browser's: the user's). */
type Zone = { locale?: string; timeZone?: string };

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter: the thread formats every bubble on each clock tick. */
function formatter(options: Intl.DateTimeFormatOptions, zone: Zone): Intl.DateTimeFormat {
	const key = JSON.stringify([zone.locale ?? '', zone.timeZone ?? '', options]);
	let format = timeFormats.get(key);
	if (!format) {
		format = new Intl.DateTimeFormat(zone.locale, { ...options, timeZone: zone.timeZone });
		timeFormats.set(key, format);
	}
	return format;
}

/** "9:05 AM" in en-US, "9:05" in de: a message's time of day, hour unpadded, in the user's locale. */
export function messageTime(iso: string, zone: Zone = {}): string {
	return formatter({ hour: 'numeric', minute: '2-digit' }, zone).format(new Date(iso));
}

/** The calendar day an instant falls on in a time zone, as days since 1970-01-01. */
export function calendarDay(instant: number, timeZone?: string): number {
	const parts = formatter(
		{ year: 'numeric', month: 'numeric', day: 'numeric' },
		{
			locale: 'en-US',
			timeZone
		}
	).formatToParts(new Date(instant));
	const part = (type: string) => Number(parts.find((item) => item.type === type)?.value);
	return Date.UTC(part('year'), part('month') - 1, part('day')) / 86_400_000;
}

/**
 * The words of a date separator in the thread: "Today", "Yesterday", the weekday within the last
 * week, else the date (with its year when not this year), all in the user's locale and time zone.
 */
export function dayLabel(iso: string, now: number, zone: Zone = {}): string {
	const instant = Date.parse(iso);
	const daysAgo = calendarDay(now, zone.timeZone) - calendarDay(instant, zone.timeZone);
	if (daysAgo === 0 || daysAgo === 1) {
		const words = new Intl.RelativeTimeFormat(zone.locale, { numeric: 'auto' }).format(
			-daysAgo,
			'day'
		);
		return words.charAt(0).toLocaleUpperCase(zone.locale) + words.slice(1);
	}
	if (daysAgo > 1 && daysAgo < 7) return formatter({ weekday: 'long' }, zone).format(instant);
	const sameYear =
		formatter({ year: 'numeric' }, zone).format(instant) ===
		formatter({ year: 'numeric' }, zone).format(now);
	return formatter(
		sameYear
			? { weekday: 'short', day: 'numeric', month: 'long' }
			: { day: 'numeric', month: 'long', year: 'numeric' },
		zone
	).format(instant);
}

/** Thread rows with a day separator before the first row of each calendar day. */
export type WithDays<T> = { kind: 'day'; key: string; label: string; at: string } | T;

/**
 * Puts a separator before each new day of a thread already in time order; `at` reads an item's
 * time. Days are the user's calendar days, so a message at 23:59 and one at 00:01 are two days.
 */
export function withDaySeparators<T extends { at: string }>(
	items: readonly T[],
	now: number,
	zone: Zone = {}
): WithDays<T>[] {
	const rows: WithDays<T>[] = [];
	let previous: number | undefined;
	for (const item of items) {
		const day = calendarDay(Date.parse(item.at), zone.timeZone);
		if (day !== previous) {
			rows.push({
				kind: 'day',
				key: `day-${day}`,
				label: dayLabel(item.at, now, zone),
				at: item.at
			});
			previous = day;
		}
		rows.push(item);
	}
	return rows;
}

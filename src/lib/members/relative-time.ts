const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
	['year', 365 * 24 * 3600],
	['month', 30 * 24 * 3600],
	['week', 7 * 24 * 3600],
	['day', 24 * 3600],
	['hour', 3600],
	['minute', 60]
];

/**
 * "2 hours ago", "in 7 days", "just now": the largest whole unit between `then` and `now`, in words,
 * with the platform's Intl.RelativeTimeFormat (no library needed for this).
 */
export function relativeTime(then: Date | string, now: Date | number, locale = 'en'): string {
	const seconds = Math.round((new Date(then).getTime() - new Date(now).getTime()) / 1000);
	const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
	for (const [unit, size] of UNITS) {
		if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
	}
	return Math.abs(seconds) < 45 ? 'just now' : format.format(Math.sign(seconds), 'minute');
}

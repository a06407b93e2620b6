const DAY = 24 * 3600;

// [unit, seconds in it, fewest whole units before it is used]. Weeks start at two, so a 7-day
// expiry reads "in 7 days" rather than "next week".
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number, number]> = [
	['year', 365 * DAY, 1],
	['month', 30 * DAY, 1],
	['week', 7 * DAY, 2],
	['day', DAY, 1],
	['hour', 3600, 1],
	['minute', 60, 1]
];

/**
 * "2 hours ago", "in 7 days", "just now": the largest fitting unit between `then` and `now`, rounded,
 * in words, with the platform's Intl.RelativeTimeFormat (no library needed for this).
 */
export function relativeTime(then: Date | string, now: Date | number, locale = 'en'): string {
	const seconds = (new Date(then).getTime() - new Date(now).getTime()) / 1000;
	if (Math.abs(seconds) < 45) return 'just now';
	const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
	for (const [unit, size, fewest] of UNITS) {
		if (Math.abs(seconds) >= fewest * size) return format.format(Math.round(seconds / size), unit);
	}
	return format.format(Math.sign(seconds), 'minute');
}

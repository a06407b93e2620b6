/**
 * Microseconds since the epoch of a timestamp as Postgres writes it. `Date.parse` keeps only
 * milliseconds, and the database orders (and pages) by the full value: a batch of messages from
 * one delivery is stamped a microsecond apart.
 */
export function microsecondsOf(timestamp: string): number {
	const fraction = /:\d{2}\.(\d+)/.exec(timestamp)?.[1] ?? '';
	return (
		Math.floor(Date.parse(timestamp) / 1000) * 1_000_000 +
		Number(fraction.padEnd(6, '0').slice(0, 6))
	);
}

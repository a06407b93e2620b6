/** How the Reports page writes its figures. */

/** A duration in seconds as a person reads it: "45 s", "4 min 20 s", "3 h 5 min", "2 d 4 h". */
export function formatDuration(seconds: number | null): string {
	if (seconds === null) return '—';
	const total = Math.round(seconds);
	if (total < 60) return `${total} s`;
	const minutes = Math.floor(total / 60);
	if (minutes < 60) return total % 60 ? `${minutes} min ${total % 60} s` : `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
	const days = Math.floor(hours / 24);
	return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

const counter = new Intl.NumberFormat('en');

export function formatCount(value: number | null): string {
	return value === null ? '—' : counter.format(value);
}

export function formatShare(part: number, whole: number): string {
	return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '—';
}

export function formatRate(rate: number | null): string {
	return rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`;
}

/** Whether more of a figure is better (conversations resolved) or worse (response time). */
export type Better = 'higher' | 'lower' | 'neither';

export interface Change {
	/** "+12%", "−30%", "new", "no change" */
	label: string;
	tone: 'good' | 'bad' | 'neutral';
	/** For screen readers: "up 12% on the previous period". */
	sentence: string;
}

/** How a figure moved from the previous period, or null when neither period has a value. */
export function changeOf(
	current: number | null,
	previous: number | null,
	better: Better
): Change | null {
	if (current === null || previous === null) return null;
	if (current === previous)
		return { label: 'no change', tone: 'neutral', sentence: 'the same as the previous period' };
	if (previous === 0)
		return {
			label: 'new',
			tone:
				better === 'neither' ? 'neutral' : (better === 'higher') === current > 0 ? 'good' : 'bad',
			sentence: 'none in the previous period'
		};
	const percent = Math.round(((current - previous) / previous) * 100);
	const up = current > previous;
	const tone = better === 'neither' ? 'neutral' : (better === 'higher') === up ? 'good' : 'bad';
	const size = Math.abs(percent);
	return {
		label: `${up ? '+' : '−'}${size}%`,
		tone,
		sentence: `${up ? 'up' : 'down'} ${size}% on the previous period`
	};
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** A volume point's label: "Mar 23" for days, "14:00" for hours. */
export function pointLabel(at: string, granularity: 'hour' | 'day'): string {
	if (granularity === 'hour') return at.slice(11, 16);
	const date = new Date(`${at.slice(0, 10)}T00:00:00Z`);
	return date.toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

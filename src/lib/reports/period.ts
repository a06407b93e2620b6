import { z } from 'zod';

/** The periods the Reports page offers; `custom` takes its own first and last day. */
export const PERIODS = ['today', '7d', '30d', 'custom'] as const;
export type PeriodName = (typeof PERIODS)[number];

export const PERIOD_LABELS: Record<PeriodName, string> = {
	today: 'Today',
	'7d': 'Last 7 days',
	'30d': 'Last 30 days',
	custom: 'Custom'
};

/** The longest custom period the database answers (conversation_report refuses more). */
export const MAX_PERIOD_DAYS = 400;

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** What the page's address may say: ?period=…&from=…&to=…&number=…&member=… */
export const reportQuerySchema = z.object({
	period: z.enum(PERIODS).catch('7d'),
	from: isoDay.optional().catch(undefined),
	to: isoDay.optional().catch(undefined),
	number: z.uuid().optional().catch(undefined),
	member: z.uuid().optional().catch(undefined)
});
export type ReportQuery = z.infer<typeof reportQuerySchema>;

/** A run of whole days in the tenant's time zone, both ends included. */
export interface Period {
	name: PeriodName;
	firstDay: string;
	lastDay: string;
}

/** Reads the query from a URL's search parameters; anything unreadable falls back to the default. */
export function readReportQuery(params: URLSearchParams): ReportQuery {
	return reportQuerySchema.parse(Object.fromEntries(params));
}

/** Adds whole days to an ISO day (calendar arithmetic, no time zone involved). */
export function addDays(day: string, days: number): string {
	const date = new Date(`${day}T00:00:00Z`);
	date.setUTCDate(date.getUTCDate() + days);
	return date.toISOString().slice(0, 10);
}

/** Days from `first` to `last`, both included. */
export function daysBetween(first: string, last: string): number {
	return (
		Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / 864e5) + 1
	);
}

/**
 * The period a query asks for, given the tenant's today. A custom period missing a day, reversed,
 * in the future or longer than the database answers is explained in `problem` and replaced by the
 * last 7 days.
 */
export function periodOf(query: ReportQuery, today: string): { period: Period; problem?: string } {
	switch (query.period) {
		case 'today':
			return { period: { name: 'today', firstDay: today, lastDay: today } };
		case '30d':
			return { period: { name: '30d', firstDay: addDays(today, -29), lastDay: today } };
		case 'custom': {
			const { from, to } = query;
			let problem: string | undefined;
			if (!from || !to) problem = 'Choose both a first and a last day for a custom period.';
			else if (from > to)
				problem = 'The first day comes after the last day. Swap them and try again.';
			else if (daysBetween(from, to) > MAX_PERIOD_DAYS)
				problem = `Choose a period of at most ${MAX_PERIOD_DAYS} days.`;
			if (!problem && from && to)
				return { period: { name: 'custom', firstDay: from, lastDay: to < today ? to : today } };
			return { period: { name: '7d', firstDay: addDays(today, -6), lastDay: today }, problem };
		}
		default:
			return { period: { name: '7d', firstDay: addDays(today, -6), lastDay: today } };
	}
}

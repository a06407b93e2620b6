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

/** "14:05" today, "Mon 14:05" this week, else "12 Nov 14:05": a message's time in the thread. */
export function messageTime(iso: string, now: number, locale = 'en'): string {
	const date = new Date(iso);
	const time = date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
	const age = now - date.getTime();
	if (new Date(now).toDateString() === date.toDateString()) return time;
	if (age < 6 * 24 * 3600 * 1000)
		return `${date.toLocaleDateString(locale, { weekday: 'short' })} ${time}`;
	return `${date.toLocaleDateString(locale, { day: 'numeric', month: 'short' })} ${time}`;
}

import type { ParleyClient } from '$lib/supabase/types';

/** The snooze presets `snooze_conversation` computes in the workspace's time zone. */
export const snoozePresets = ['hour', 'tomorrow', 'next_week'] as const;
export type SnoozePreset = (typeof snoozePresets)[number];

/** How each preset reads in the menu. */
export const SNOOZE_PRESET_LABELS: Record<SnoozePreset, string> = {
	hour: 'For 1 hour',
	tomorrow: 'Until tomorrow, 9:00',
	next_week: 'Until next week (Monday 9:00)'
};

/** A preset, or a moment someone picked. */
export type SnoozeChoice = { preset: SnoozePreset } | { until: Date };

/** Whether a conversation is snoozed now: its time still ahead (a passed time is awake). */
export function isSnoozed(snoozedUntil: string | null | undefined, now: number): boolean {
	return !!snoozedUntil && Date.parse(snoozedUntil) > now;
}

const untilFormat = new Intl.DateTimeFormat(undefined, {
	weekday: 'short',
	day: 'numeric',
	month: 'short',
	hour: 'numeric',
	minute: '2-digit'
});

/** "Thu, 3 Dec, 09:00": when a snoozed conversation comes back, in the reader's time zone. */
export function snoozedUntilLabel(snoozedUntil: string, format = untilFormat): string {
	return format.format(new Date(snoozedUntil));
}

/**
 * What a `datetime-local` input's value (the reader's local time, "2026-12-03T09:30") means as a
 * moment; null when it is empty or not a time.
 */
export function pickedMoment(value: string): Date | null {
	if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
	const moment = new Date(value);
	return Number.isNaN(moment.getTime()) ? null : moment;
}

/** The `datetime-local` value for a moment, in the reader's local time (the picker's minimum). */
export function localInputValue(moment: Date): string {
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(
		moment.getHours()
	)}:${pad(moment.getMinutes())}`;
}

function refusal(error: { code?: string; message: string }): string {
	return ['42501', '22023', 'P0001', 'PT404'].includes(error.code ?? '')
		? error.message
		: 'The conversation could not be snoozed. Check your connection and try again.';
}

/** Snoozes a conversation; resolves to the time it comes back, or the sentence saying why not. */
export async function snoozeConversation(
	supabase: ParleyClient,
	conversationId: string,
	choice: SnoozeChoice
): Promise<{ until: string } | { refusal: string }> {
	const { data, error } = await supabase.rpc('snooze_conversation', {
		conversation_id: conversationId,
		...('preset' in choice ? { preset: choice.preset } : { until: choice.until.toISOString() })
	});
	if (error) return { refusal: refusal(error) };
	const until = data?.snoozed_until;
	return until ? { until } : { refusal: refusal({ message: '' }) };
}

/** Brings a snoozed conversation back now; null when done, else the sentence saying why not. */
export async function unsnoozeConversation(
	supabase: ParleyClient,
	conversationId: string
): Promise<string | null> {
	const { error } = await supabase.rpc('unsnooze_conversation', {
		conversation_id: conversationId
	});
	return error ? refusal(error) : null;
}

import { z } from 'zod';
import type { ColumnSchemas, ParleyClient, Tables } from '$lib/supabase/types';

/** The colours a label may have, as the database's `labels_colour_palette` lists them. */
export const labelColours = [
	'slate',
	'red',
	'orange',
	'amber',
	'green',
	'teal',
	'sky',
	'indigo',
	'violet',
	'pink'
] as const;
export type LabelColour = (typeof labelColours)[number];

/** How each colour looks: a chip (text on a tint, AA contrast) and a swatch dot; its name in words. */
export const LABEL_STYLE: Record<LabelColour, { chip: string; dot: string; name: string }> = {
	slate: {
		chip: 'bg-slate-100 text-slate-800 ring-slate-500/30',
		dot: 'bg-slate-500',
		name: 'Slate'
	},
	red: { chip: 'bg-red-50 text-red-800 ring-red-600/30', dot: 'bg-red-500', name: 'Red' },
	orange: {
		chip: 'bg-orange-50 text-orange-800 ring-orange-600/30',
		dot: 'bg-orange-500',
		name: 'Orange'
	},
	amber: {
		chip: 'bg-amber-50 text-amber-800 ring-amber-600/30',
		dot: 'bg-amber-500',
		name: 'Amber'
	},
	green: {
		chip: 'bg-green-50 text-green-800 ring-green-600/30',
		dot: 'bg-green-500',
		name: 'Green'
	},
	teal: { chip: 'bg-teal-50 text-teal-800 ring-teal-600/30', dot: 'bg-teal-500', name: 'Teal' },
	sky: { chip: 'bg-sky-50 text-sky-800 ring-sky-600/30', dot: 'bg-sky-500', name: 'Sky' },
	indigo: {
		chip: 'bg-indigo-50 text-indigo-800 ring-indigo-600/30',
		dot: 'bg-indigo-500',
		name: 'Indigo'
	},
	violet: {
		chip: 'bg-violet-50 text-violet-800 ring-violet-600/30',
		dot: 'bg-violet-500',
		name: 'Violet'
	},
	pink: { chip: 'bg-pink-50 text-pink-800 ring-pink-600/30', dot: 'bg-pink-500', name: 'Pink' }
};

/** A label as the app reads it. An unknown colour (a newer palette) shows as slate. */
export const labelSchema = z.object({
	id: z.string(),
	name: z.string(),
	colour: z.enum(labelColours).catch('slate')
} satisfies ColumnSchemas<Tables<'labels'>>);
export type Label = z.infer<typeof labelSchema>;

/** The columns the app reads. */
export const LABEL_COLUMNS = 'id, name, colour';

/** Labels in the order people look for them: by name, ignoring case. */
export function sortLabels(labels: readonly Label[]): Label[] {
	return [...labels].sort((a, b) =>
		a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })
	);
}

/** The workspace's labels, by name. */
export async function listLabels(supabase: ParleyClient, tenantId: string): Promise<Label[]> {
	const { data, error } = await supabase
		.from('labels')
		.select(LABEL_COLUMNS)
		.eq('tenant_id', tenantId)
		.order('name');
	if (error) throw new Error(`The labels could not be loaded: ${error.message}`);
	return sortLabels(z.array(labelSchema).parse(data ?? []));
}

const labelChangeSchema = z.object({
	operation: z.enum(['INSERT', 'UPDATE', 'DELETE']),
	record: labelSchema.nullable().optional(),
	old_record: z.object({ id: z.string() }).nullable().optional()
});

/** The labels after a `labels` broadcast (created, renamed, recoloured or deleted). */
export function labelsAfter(labels: readonly Label[], payload: unknown): Label[] {
	const change = labelChangeSchema.safeParse(payload);
	if (!change.success) return [...labels];
	const { operation, record, old_record: old } = change.data;
	const id = record?.id ?? old?.id;
	const others = labels.filter((label) => label.id !== id);
	if (operation === 'DELETE' || !record) return others;
	return sortLabels([...others, record]);
}

/** The labels a conversation carries, in the list's order; ids of deleted labels are skipped. */
export function labelsOf(labelIds: readonly string[], labels: readonly Label[]): Label[] {
	return labels.filter((label) => labelIds.includes(label.id));
}

/** The settings form: the database's rules, said before asking it. */
export const labelFormSchema = z.object({
	name: z
		.string()
		.refine(
			(name) => !name.includes('\u0000'),
			'A label name cannot hold a NUL character; type it again.'
		)
		.transform((name) => name.trim().replace(/\s+/g, ' '))
		.pipe(
			z
				.string()
				.min(1, 'Enter a name, like "VIP" or "Refund".')
				.max(40, 'Keep the name to 40 characters.')
		),
	colour: z.enum(labelColours, 'Choose one of the colours.')
});
export type LabelForm = z.infer<typeof labelFormSchema>;

/** A refusal people can read: the database's sentence when it wrote one, else a generic one. */
function refusal(error: { code?: string; message: string }, action: string): string {
	return error.code === '42501' || error.code === '22023' || error.code === 'PT404'
		? error.message
		: `The label could not be ${action}. Check your connection and try again.`;
}

/** What applying or removing a label ends in: the conversation's labels now, or why not. */
export type LabelOutcome = { labelIds: string[] } | { refusal: string };

/** Puts a label on a conversation (`remove`: takes it off). */
export async function changeLabel(
	supabase: ParleyClient,
	conversationId: string,
	labelId: string,
	change: 'add' | 'remove'
): Promise<LabelOutcome> {
	const { data, error } = await supabase.rpc(
		change === 'add' ? 'label_conversation' : 'unlabel_conversation',
		{ conversation_id: conversationId, label_id: labelId }
	);
	if (error) return { refusal: refusal(error, change === 'add' ? 'added' : 'removed') };
	return { labelIds: data?.label_ids ?? [] };
}

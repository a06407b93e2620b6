import { z } from 'zod';
import type { ColumnSchemas, ParleyClient, Tables } from '$lib/supabase/types';

/** A canned response as the settings page and the composer read it. */
export const cannedResponseSchema = z.object({
	id: z.string(),
	shortcut: z.string(),
	title: z.string(),
	body: z.string(),
	updated_at: z.string()
} satisfies ColumnSchemas<Tables<'canned_responses'>>);
export type CannedResponse = z.infer<typeof cannedResponseSchema>;

/** The columns the app reads. */
export const CANNED_RESPONSE_COLUMNS = 'id, shortcut, title, body, updated_at';

/** The variables a body may hold, with what each becomes. */
export const CANNED_VARIABLES = {
	customer_name: "The customer's name",
	customer_first_name: "The customer's first name",
	agent_name: 'Your name',
	agent_first_name: 'Your first name'
} as const;
export type CannedVariable = keyof typeof CANNED_VARIABLES;

const VARIABLE_PATTERN = /\{\{\s*([a-z_]+)\s*\}\}/g;

/** The `{{name}}`s in a body that are not variables Parley fills in. */
export function unknownVariables(body: string): string[] {
	const unknown = new Set<string>();
	for (const [, name] of body.matchAll(VARIABLE_PATTERN))
		if (!(name in CANNED_VARIABLES)) unknown.add(name);
	return [...unknown];
}

/** Who a reply is from and to: what the variables become. */
export interface ReplyPeople {
	customerName: string;
	agentName: string;
}

function firstName(name: string): string {
	return name.trim().split(/\s+/)[0] ?? name;
}

/** The body with its variables filled in; an unknown `{{name}}` stays as written. */
export function fillVariables(body: string, people: ReplyPeople): string {
	const values = new Map<string, string>([
		['customer_name', people.customerName],
		['customer_first_name', firstName(people.customerName)],
		['agent_name', people.agentName],
		['agent_first_name', firstName(people.agentName)]
	] satisfies [CannedVariable, string][]);
	return body.replace(VARIABLE_PATTERN, (whole, name: string) => values.get(name) ?? whole);
}

/** Responses whose shortcut, title or text holds every word of the query, shortcut matches first. */
export function searchCannedResponses(
	responses: readonly CannedResponse[],
	query: string
): CannedResponse[] {
	const words = query.toLowerCase().split(/\s+/).filter(Boolean);
	if (words.length === 0) return [...responses];
	const rank = (response: CannedResponse) =>
		response.shortcut.startsWith(words[0])
			? 0
			: response.title.toLowerCase().includes(words[0])
				? 1
				: 2;
	return responses
		.filter((response) => {
			const text = `${response.shortcut} ${response.title} ${response.body}`.toLowerCase();
			return words.every((word) => text.includes(word));
		})
		.sort((a, b) => rank(a) - rank(b) || a.shortcut.localeCompare(b.shortcut));
}

/**
 * The `/query` being typed at the caret, when the line so far is only that: what the picker
 * searches for. Null when the caret is not in one.
 */
export function slashQueryAt(text: string, caret: number): { start: number; query: string } | null {
	const lineStart = text.lastIndexOf('\n', caret - 1) + 1;
	const typed = text.slice(lineStart, caret);
	const match = /^\/([^\s/]*(?: [^\s/]+)*)$/.exec(typed);
	return match ? { start: lineStart, query: match[1] } : null;
}

/** The workspace's canned responses, by shortcut. */
export async function listCannedResponses(
	supabase: ParleyClient,
	tenantId: string
): Promise<CannedResponse[]> {
	const { data, error } = await supabase
		.from('canned_responses')
		.select(CANNED_RESPONSE_COLUMNS)
		.eq('tenant_id', tenantId)
		.order('shortcut');
	if (error) throw new Error(`The canned responses could not be loaded: ${error.message}`);
	return z.array(cannedResponseSchema).parse(data ?? []);
}

/** The settings form: the same rules the database keeps, said before asking it. */
export const cannedResponseFormSchema = z.object({
	shortcut: z
		.string()
		.trim()
		.transform((value) => value.replace(/^\/+/, '').toLowerCase())
		.pipe(
			z
				.string()
				.min(1, 'Enter a shortcut, like "greeting": agents type /greeting to find it.')
				.max(32, 'Keep the shortcut to 32 characters.')
				.regex(
					/^[a-z0-9][a-z0-9_-]*$/,
					'Use only lowercase letters, digits, hyphens and underscores in the shortcut.'
				)
		),
	title: z
		.string()
		.trim()
		.min(1, 'Enter a title that says what the response is for.')
		.max(80, 'Keep the title to 80 characters.'),
	body: z
		.string()
		.trim()
		.min(1, 'Write the text agents will send.')
		.max(4096, 'WhatsApp messages hold at most 4,096 characters; shorten the text.')
		.superRefine((body, context) => {
			const unknown = unknownVariables(body);
			if (unknown.length > 0)
				context.addIssue({
					code: 'custom',
					message: `${unknown.map((name) => `{{${name}}}`).join(', ')} is not a variable Parley fills in. Use ${Object.keys(
						CANNED_VARIABLES
					)
						.map((name) => `{{${name}}}`)
						.join(', ')}.`
				});
		})
});
export type CannedResponseForm = z.infer<typeof cannedResponseFormSchema>;

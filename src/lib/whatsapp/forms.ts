import { z } from 'zod';
import { readWhatsAppNumber } from '$shared/whatsapp-address';
import type { FunctionErrorBody } from './types.ts';

const checkbox = z
	.string()
	.optional()
	.transform((value) => value === 'on' || value === 'true');

const displayName = z
	.string()
	.trim()
	.min(1, 'Enter a display name for this number, like "Sales Support".')
	.max(80, 'A display name can be at most 80 characters long.');

const agentChoice = z
	.string()
	.trim()
	.transform((value) => value || null);

const metaDigits = (label: string) =>
	z
		.string()
		.trim()
		.min(1, `Enter the ${label} from Meta's API Setup page.`)
		.regex(/^\d{1,32}$/, `The ${label} is a number, digits only, from Meta's API Setup page.`);

const optionalMetaDigits = (label: string) =>
	z
		.string()
		.trim()
		.regex(/^\d{0,32}$/, `The ${label} is a number, digits only, from Meta's API Setup page.`);

const ACTIVE_NEEDS_AGENT =
	'Choose an AI agent with WhatsApp enabled, or leave the number inactive for now.';

/** Connect-number form: one shape per provider, plus the agent rule checked before asking anyone. */
export const connectNumberSchema = z
	.discriminatedUnion(
		'provider',
		[
			z.object({
				provider: z.literal('twilio'),
				displayName,
				assignedAgentId: agentChoice,
				active: checkbox,
				addressMode: z.enum(['list', 'manual']).catch('list'),
				address: z.string().trim(),
				manualAddress: z.string().trim()
			}),
			z.object({
				provider: z.literal('meta'),
				displayName,
				assignedAgentId: agentChoice,
				active: checkbox,
				phoneNumberId: metaDigits('Phone Number ID'),
				businessAccountId: optionalMetaDigits('WhatsApp Business Account ID'),
				accessToken: z
					.string()
					.trim()
					.min(1, 'Enter the permanent access token of your System User.'),
				appSecret: z
					.string()
					.trim()
					.min(1, "Enter the App Secret from your Meta app's Basic settings.")
			})
		],
		{ error: 'Choose how this number is connected: Twilio or Meta Cloud API.' }
	)
	.superRefine((value, ctx) => {
		if (value.active && !value.assignedAgentId)
			ctx.addIssue({ code: 'custom', path: ['assignedAgentId'], message: ACTIVE_NEEDS_AGENT });
		if (value.provider !== 'twilio') return;
		if (value.addressMode === 'list' && !value.address)
			ctx.addIssue({
				code: 'custom',
				path: ['address'],
				message: 'Pick one of your Twilio numbers, or choose "My number isn\'t listed".'
			});
		if (value.addressMode !== 'manual') return;
		const reading = readWhatsAppNumber(value.manualAddress);
		if (!reading.ok)
			ctx.addIssue({ code: 'custom', path: ['manualAddress'], message: reading.message });
	});

/** Edit-number form: secrets left blank stay as they are. */
export const editNumberSchema = z
	.object({
		numberId: z.uuid('That number could not be found. Reload the page and try again.'),
		displayName,
		assignedAgentId: agentChoice,
		active: checkbox,
		businessAccountId: optionalMetaDigits('WhatsApp Business Account ID'),
		accessToken: z.string().trim(),
		appSecret: z.string().trim()
	})
	.superRefine((value, ctx) => {
		if (value.active && !value.assignedAgentId)
			ctx.addIssue({ code: 'custom', path: ['assignedAgentId'], message: ACTIVE_NEEDS_AGENT });
	});

/** A typed number as `whatsapp:+E164` once the schema accepted it (else as typed, for the function to refuse). */
function manualAddressOf(typed: string): string {
	const reading = readWhatsAppNumber(typed);
	return reading.ok ? reading.address : typed;
}

/** The whatsapp-numbers POST body for a parsed connect form. */
export function connectRequestBody(
	form: z.output<typeof connectNumberSchema>
): Record<string, unknown> {
	const common = {
		displayName: form.displayName,
		assignedAgentId: form.assignedAgentId,
		active: form.active
	};
	if (form.provider === 'twilio') {
		return {
			provider: 'twilio',
			...common,
			address: form.addressMode === 'manual' ? manualAddressOf(form.manualAddress) : form.address
		};
	}
	return {
		provider: 'meta',
		...common,
		phoneNumberId: form.phoneNumberId,
		businessAccountId: form.businessAccountId || null,
		accessToken: form.accessToken,
		appSecret: form.appSecret
	};
}

/** The whatsapp-numbers PATCH body for a parsed edit form; blank secrets are left out (unchanged). */
export function editRequestBody(
	form: z.output<typeof editNumberSchema>,
	provider: 'twilio' | 'meta'
): Record<string, unknown> {
	const body: Record<string, unknown> = {
		displayName: form.displayName,
		assignedAgentId: form.assignedAgentId,
		active: form.active
	};
	if (provider === 'meta') {
		body.businessAccountId = form.businessAccountId || null;
		if (form.accessToken) body.accessToken = form.accessToken;
		if (form.appSecret) body.appSecret = form.appSecret;
	}
	return body;
}

/** Which form field a function's error code is about, when it is about one. */
const FIELD_OF_CODE: Record<string, string> = {
	agent_not_found: 'assignedAgentId',
	agent_rule_violation: 'assignedAgentId',
	meta_token_invalid: 'accessToken',
	meta_permission_denied: 'accessToken',
	meta_not_found: 'phoneNumberId',
	meta_business_account_mismatch: 'businessAccountId',
	twilio_credentials_rejected: 'authToken'
};

/** Function body paths that are named differently in the forms. */
const FIELD_OF_PATH: Record<string, string> = { address: 'manualAddress' };

/**
 * Splits a function's error into field errors (from `details.issues` and codes tied to one field)
 * and a form-level sentence for the rest, so each message shows beside what it is about.
 */
export function functionErrorFields(
	error: FunctionErrorBody,
	fields: readonly string[]
): { errors: Record<string, string>; message: string | null } {
	const errors: Record<string, string> = {};
	const place = (name: string | undefined, message: string) => {
		if (!name) return false;
		const field =
			FIELD_OF_PATH[name] && fields.includes(FIELD_OF_PATH[name]) ? FIELD_OF_PATH[name] : name;
		if (!fields.includes(field)) return false;
		errors[field] ??= message;
		return true;
	};
	let placed = false;
	for (const issue of error.details?.issues ?? [])
		placed = place(issue.path, issue.message) || placed;
	if (!placed) placed = place(FIELD_OF_CODE[error.code], error.message);
	return { errors, message: placed ? null : error.message };
}

/** Connect-Twilio form; the token may be blank only when re-checking the stored one. */
export const twilioIntegrationSchema = z.object({
	accountSid: z
		.string()
		.trim()
		.regex(
			/^AC[0-9a-fA-F]{32}$/,
			'The Account SID starts with AC followed by 32 letters and digits; copy it from the Twilio Console.'
		),
	authToken: z.string().trim()
});

/** AI agent form (create and edit): the same limits the database enforces. */
export const agentSchema = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Enter a name for this AI agent, like "Sales assistant".')
		.max(80, 'A name can be at most 80 characters long.'),
	instructions: z.string().max(20000, 'Instructions can be at most 20,000 characters long.'),
	model: z
		.string()
		.trim()
		.min(1, 'Choose the model this AI agent uses, for example gpt-4o-mini.')
		.max(100, 'A model name can be at most 100 characters long.'),
	active: checkbox,
	whatsappEnabled: checkbox
});

/** Models offered in the agent form (any OpenAI-compatible model name is accepted). */
export const SUGGESTED_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1'] as const;

/** The result of reading a form: the parsed values, or the first message for each field. */
export type ParsedForm<T> = { ok: true; data: T } | { ok: false; errors: Record<string, string> };

/** Validates the named fields of a submitted form (missing fields read as blank) against a schema. */
export function readForm<Schema extends z.ZodType>(
	schema: Schema,
	formData: FormData,
	fields: readonly string[]
): ParsedForm<z.output<Schema>> {
	const input: Record<string, string | undefined> = {};
	for (const field of fields) {
		const value = formData.get(field);
		input[field] = typeof value === 'string' ? value : undefined;
	}
	// Checkboxes are absent when unticked; text fields read as blank.
	for (const [key, value] of Object.entries(input))
		if (value === undefined && !CHECKBOXES.has(key)) input[key] = '';
	const result = schema.safeParse(input);
	if (result.success) return { ok: true, data: result.data };
	const errors: Record<string, string> = {};
	for (const issue of result.error.issues) {
		const field = String(issue.path[0] ?? 'form');
		errors[field] ??= issue.message;
	}
	return { ok: false, errors };
}

const CHECKBOXES = new Set(['active', 'whatsappEnabled']);

/** What the person typed, to refill the form after a refusal; secrets are never echoed back. */
export function echoValues(formData: FormData, fields: readonly string[]): Record<string, string> {
	const values: Record<string, string> = {};
	for (const field of fields) {
		if (field === 'accessToken' || field === 'appSecret' || field === 'authToken') continue;
		const value = formData.get(field);
		if (typeof value === 'string') values[field] = value;
	}
	return values;
}

/** Every field of the number forms, in the order they appear. */
export const NUMBER_FIELDS = [
	'numberId',
	'provider',
	'displayName',
	'assignedAgentId',
	'active',
	'addressMode',
	'address',
	'manualAddress',
	'phoneNumberId',
	'businessAccountId',
	'accessToken',
	'appSecret'
] as const;

/** What a refused form action hands back to its form: field errors, typed values and a sentence. */
export interface FormRefusal {
	errors?: Record<string, string>;
	values?: Record<string, string>;
	message?: string | null;
	code?: string;
}

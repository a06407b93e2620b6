import { z } from 'zod';
import type { TemplateReference } from '$shared/contracts';
import {
	buttonKey,
	headerKey,
	headerMediaKey,
	missingTemplateFields,
	needsHeaderMedia,
	renderTemplateMessage,
	type MediaHeaderFormat,
	type TemplateButton,
	type TemplateHeaderFormat,
	type TemplateValues,
	type TemplateVariable
} from '$shared/template-text';
import type { ColumnSchemas, ParleyClient, Tables } from '$lib/supabase/types';
import { callFunction } from '$lib/whatsapp/functions';

export {
	buttonKey,
	headerKey,
	headerMediaKey,
	missingTemplateFields,
	needsHeaderMedia,
	renderTemplateMessage
};

export type { TemplateReference };

const templateVariableSchema = z.object({
	key: z.string(),
	example: z.string().nullable()
}) satisfies z.ZodType<TemplateVariable>;

const templateButtonSchema = z.object({
	type: z.enum(['quick_reply', 'url', 'phone_number', 'copy_code', 'other']),
	text: z.string(),
	url: z.string().nullish(),
	phone_number: z.string().nullish(),
	variables: z.array(templateVariableSchema).optional()
}) satisfies z.ZodType<TemplateButton>;

/** A number's message template, as `whatsapp_templates` holds it (the columns the picker reads). */
const whatsAppTemplateSchema = z.object({
	id: z.string(),
	provider: z.enum(['twilio', 'meta']),
	provider_template_id: z.string(),
	name: z.string(),
	language: z.string(),
	category: z.string().nullable(),
	status: z.string(),
	header: z.string().nullable(),
	body: z.string(),
	footer: z.string().nullable(),
	variables: z.array(templateVariableSchema),
	header_format: z
		.enum(['text', 'image', 'video', 'document', 'location'])
		.nullable() satisfies z.ZodType<TemplateHeaderFormat | null>,
	header_variables: z.array(templateVariableSchema),
	buttons: z.array(templateButtonSchema)
} satisfies ColumnSchemas<Tables<'whatsapp_templates'>>);
export type WhatsAppTemplate = z.infer<typeof whatsAppTemplateSchema>;
const templateRows = z.array(whatsAppTemplateSchema);

/** A field the picker shows: its key in the form's values, its label and its sample. */
export interface TemplateField {
	key: string;
	label: string;
	example: string | null;
	/** A media link (validated as https) rather than text. */
	link?: boolean;
}

const COLUMNS =
	'id, provider, provider_template_id, name, language, category, status, header, body, footer, variables, header_format, header_variables, buttons';

/** The number's approved templates as last synced (no provider call). */
export async function loadApprovedTemplates(
	supabase: ParleyClient,
	numberId: string
): Promise<WhatsAppTemplate[]> {
	const { data, error } = await supabase
		.from('whatsapp_templates')
		.select(COLUMNS)
		.eq('number_id', numberId)
		.eq('status', 'approved')
		.order('name')
		.order('language');
	if (error) throw new Error('The saved templates could not be loaded.');
	return templateRows.parse(data ?? []);
}

/** Asks the provider for the number's templates now; answers the approved ones, or a sentence. */
export async function syncApprovedTemplates(
	supabase: ParleyClient,
	numberId: string
): Promise<{ ok: true; templates: WhatsAppTemplate[] } | { ok: false; message: string }> {
	const result = await callFunction<unknown>(supabase, 'whatsapp-templates/sync', 'POST', {
		numberId
	});
	if (!result.ok) return { ok: false, message: result.error.message };
	const answer = z.object({ templates: templateRows }).safeParse(result.data);
	if (!answer.success) {
		console.error(answer.error);
		return {
			ok: false,
			message: 'The templates came back in a form Parley cannot read. Try again.'
		};
	}
	return {
		ok: true,
		templates: answer.data.templates.filter((template) => template.status === 'approved')
	};
}

const mediaNames: Record<MediaHeaderFormat, string> = {
	image: 'Header image link',
	video: 'Header video link',
	document: 'Header document link'
};

/**
 * The fields a template needs, in the order the customer reads them: header values or its media
 * link, the body's values (Twilio: every placeholder), then each dynamic URL button's ending.
 */
export function templateFields(template: WhatsAppTemplate): TemplateField[] {
	const fields: TemplateField[] = [];
	if (template.provider === 'meta') {
		for (const variable of template.header_variables ?? []) {
			fields.push({
				key: headerKey(variable.key),
				label: `Header {{${variable.key}}}`,
				example: variable.example
			});
		}
		if (needsHeaderMedia(template)) {
			fields.push({
				key: headerMediaKey,
				label: mediaNames[template.header_format],
				example: 'https://…',
				link: true
			});
		}
	}
	for (const variable of template.variables) {
		fields.push({ key: variable.key, label: `{{${variable.key}}}`, example: variable.example });
	}
	if (template.provider === 'meta') {
		(template.buttons ?? []).forEach((button, index) => {
			const variable = button.type === 'url' ? button.variables?.[0] : undefined;
			if (!variable) return;
			fields.push({
				key: buttonKey(index),
				label: `“${button.text}” link ending`,
				example: variable.example
			});
		});
	}
	return fields;
}

/** The send values of a template from the picker's fields (keyed as templateFields names them). */
export function templateValues(
	template: WhatsAppTemplate,
	values: Record<string, string>
): TemplateValues {
	const value = (key: string) => (values[key] ?? '').trim();
	const result: TemplateValues = {};
	if (template.variables.length > 0) {
		result.variables = Object.fromEntries(template.variables.map(({ key }) => [key, value(key)]));
	}
	if (template.provider !== 'meta') return result;
	if ((template.header_variables ?? []).length > 0) {
		result.headerVariables = Object.fromEntries(
			template.header_variables.map(({ key }) => [key, value(headerKey(key))])
		);
	}
	if (needsHeaderMedia(template)) {
		result.headerMedia = { type: template.header_format, link: value(headerMediaKey) };
	}
	const buttonVariables = Object.fromEntries(
		(template.buttons ?? []).flatMap((button, index) =>
			button.type === 'url' && button.variables?.length
				? [[String(index), value(buttonKey(index))]]
				: []
		)
	);
	if (Object.keys(buttonVariables).length > 0) result.buttonVariables = buttonVariables;
	return result;
}

/** The whatsapp-send reference for a template with these values. */
export function templateReference(
	template: WhatsAppTemplate,
	values: Record<string, string>
): TemplateReference {
	const filled = templateValues(template, values);
	return template.provider === 'twilio'
		? { contentSid: template.provider_template_id, ...filled }
		: { name: template.name, language: template.language, ...filled };
}

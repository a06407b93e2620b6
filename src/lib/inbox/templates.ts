import type { SupabaseClient } from '@supabase/supabase-js';
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
import { callFunction } from '$lib/whatsapp/functions';

export {
	buttonKey,
	headerKey,
	headerMediaKey,
	missingTemplateFields,
	needsHeaderMedia,
	renderTemplateMessage
};

/** A number's message template, as `whatsapp_templates` holds it. */
export interface WhatsAppTemplate {
	id: string;
	provider: 'twilio' | 'meta';
	provider_template_id: string;
	name: string;
	language: string;
	category: string | null;
	status: string;
	header: string | null;
	body: string;
	footer: string | null;
	variables: TemplateVariable[];
	header_format: TemplateHeaderFormat | null;
	header_variables: TemplateVariable[];
	buttons: TemplateButton[];
}

/** What whatsapp-send takes to send a template (Twilio by Content SID, Meta by name and language). */
export interface TemplateReference extends TemplateValues {
	contentSid?: string;
	name?: string;
	language?: string;
}

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
	supabase: SupabaseClient,
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
	return (data ?? []) as WhatsAppTemplate[];
}

/** Asks the provider for the number's templates now; answers the approved ones, or a sentence. */
export async function syncApprovedTemplates(
	supabase: SupabaseClient,
	numberId: string
): Promise<{ ok: true; templates: WhatsAppTemplate[] } | { ok: false; message: string }> {
	const result = await callFunction<{ templates: WhatsAppTemplate[] }>(
		supabase,
		'whatsapp-templates/sync',
		'POST',
		{ numberId }
	);
	if (!result.ok) return { ok: false, message: result.error.message };
	return {
		ok: true,
		templates: result.data.templates.filter((template) => template.status === 'approved')
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

import type { SupabaseClient } from '@supabase/supabase-js';
import { missingTemplateVariables, renderTemplateMessage } from '$shared/template-text';
import { callFunction } from '$lib/whatsapp/functions';

export { missingTemplateVariables, renderTemplateMessage };

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
	variables: { key: string; example: string | null }[];
}

/** What whatsapp-send takes to send a template (Twilio by Content SID, Meta by name and language). */
export interface TemplateReference {
	contentSid?: string;
	name?: string;
	language?: string;
	variables?: Record<string, string>;
}

const COLUMNS =
	'id, provider, provider_template_id, name, language, category, status, header, body, footer, variables';

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

/** The whatsapp-send reference for a template with these values. */
export function templateReference(
	template: WhatsAppTemplate,
	values: Record<string, string>
): TemplateReference {
	const variables = Object.fromEntries(
		template.variables.map(({ key }) => [key, (values[key] ?? '').trim()])
	);
	const filled = template.variables.length > 0 ? { variables } : {};
	return template.provider === 'twilio'
		? { contentSid: template.provider_template_id, ...filled }
		: { name: template.name, language: template.language, ...filled };
}

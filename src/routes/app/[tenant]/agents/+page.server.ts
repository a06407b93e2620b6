import { error, fail } from '@sveltejs/kit';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import { agentSchema, echoValues, readForm } from '$lib/whatsapp/forms';
import { callFunction } from '$lib/whatsapp/functions';
import { managedTenant } from '$lib/members/acting-membership.server';
import type { Actions, PageServerLoad } from './$types';

const AGENT_FIELDS = ['name', 'instructions', 'model', 'active', 'whatsappEnabled'] as const;
const AGENT_COLUMNS = 'id, name, instructions, model, active, whatsapp_enabled, updated_at';

export const load: PageServerLoad = async ({ locals, parent }) => {
	const { tenant } = await parent();
	const [{ data, error: loadError }, aiStatus] = await Promise.all([
		locals.supabase
			.from('ai_agents')
			.select(AGENT_COLUMNS)
			.eq('tenant_id', tenant.id)
			.order('name'),
		callFunction<{ aiConfigured: boolean }>(locals.supabase, 'generate-insights/status')
	]);
	if (loadError) {
		console.error(loadError);
		error(500, 'The AI agents could not be loaded. Reload the page to try again.');
	}
	// Unknown (the functions are unreachable) is not shown as "off": only a definite answer is.
	const aiConfigured = aiStatus.ok ? aiStatus.data.aiConfigured : null;
	return { title: 'AI Agents', agents: data ?? [], aiConfigured };
};

/** A refusal from the database, with its sentence. */
function refused(
	action: string,
	dbError: { code?: string; message?: string },
	values?: Record<string, string>
) {
	const status = databaseErrorStatus(dbError);
	if (status === 500) console.error(dbError);
	return fail(status, { action, values, message: databaseErrorSentence(dbError) });
}

export const actions: Actions = {
	save: async (event) => {
		const formData = await event.request.formData();
		const values = echoValues(formData, [...AGENT_FIELDS, 'agentId']);
		const agentId = String(formData.get('agentId') ?? '');
		const parsed = readForm(agentSchema, formData, AGENT_FIELDS);
		if (!parsed.ok) return fail(400, { action: 'save', values, errors: parsed.errors });
		const tenant = await managedTenant(event, 'Only owners and admins can change AI agents.');
		const row = {
			name: parsed.data.name,
			instructions: parsed.data.instructions,
			model: parsed.data.model,
			active: parsed.data.active,
			whatsapp_enabled: parsed.data.whatsappEnabled
		};
		const query = agentId
			? event.locals.supabase
					.from('ai_agents')
					.update(row)
					.eq('id', agentId)
					.eq('tenant_id', tenant.id)
			: event.locals.supabase.from('ai_agents').insert({ ...row, tenant_id: tenant.id });
		const { data, error: saveError } = await query.select('id');
		if (saveError) return refused('save', saveError, values);
		if (!data || data.length === 0)
			return fail(404, {
				action: 'save',
				values,
				message: 'That AI agent no longer exists. Reload the page to see the current list.'
			});
		return {
			action: 'save',
			message: agentId ? `${row.name} is saved.` : `${row.name} is ready.`
		};
	},

	delete: async (event) => {
		const formData = await event.request.formData();
		const agentId = String(formData.get('agentId') ?? '');
		const tenant = await managedTenant(event, 'Only owners and admins can change AI agents.');
		const { data, error: deleteError } = await event.locals.supabase
			.from('ai_agents')
			.delete()
			.eq('id', agentId)
			.eq('tenant_id', tenant.id)
			.select('name');
		if (deleteError) return refused('delete', deleteError);
		if (!data || data.length === 0)
			return fail(404, { action: 'delete', message: 'That AI agent was already deleted.' });
		return { action: 'delete', message: `${data[0].name} is deleted.` };
	}
};

import { error, fail } from '@sveltejs/kit';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import { managedTenant } from '$lib/members/acting-membership.server';
import { callFunction } from '$lib/whatsapp/functions';
import {
	articleSchema,
	KNOWLEDGE_LANGUAGES,
	type KnowledgeSource
} from '$lib/components/agents/knowledge';
import type { Actions, PageServerLoad } from './$types';

const REFUSAL = 'Only owners and admins can change what an AI agent knows.';

export const load: PageServerLoad = async ({ locals, params, parent }) => {
	const { tenant } = await parent();
	const [agent, sources, aiStatus] = await Promise.all([
		locals.supabase
			.from('ai_agents')
			.select('id, name, model, active, whatsapp_enabled, knowledge_language')
			.eq('id', params.agent)
			.eq('tenant_id', tenant.id)
			.maybeSingle(),
		locals.supabase
			.from('knowledge_sources')
			.select('id, kind, title, body, file_name, passage_count, updated_at')
			.eq('agent_id', params.agent)
			.order('updated_at', { ascending: false }),
		callFunction<{ aiConfigured: boolean }>(locals.supabase, 'generate-insights/status')
	]);
	if (agent.error || sources.error) {
		console.error(agent.error ?? sources.error);
		error(500, "The AI agent's knowledge could not be loaded. Reload the page to try again.");
	}
	if (!agent.data) error(404, 'There is no such AI agent in this workspace.');
	return {
		title: `${agent.data.name} · Knowledge`,
		agent: agent.data as {
			id: string;
			name: string;
			model: string;
			active: boolean;
			whatsapp_enabled: boolean;
			knowledge_language: string;
		},
		sources: (sources.data ?? []) as KnowledgeSource[],
		aiConfigured: aiStatus.ok ? aiStatus.data.aiConfigured : null
	};
};

function refused(action: string, dbError: { code?: string; message?: string }) {
	const status = databaseErrorStatus(dbError);
	if (status === 500) console.error(dbError);
	return fail(status, { action, message: databaseErrorSentence(dbError) });
}

export const actions: Actions = {
	saveArticle: async (event) => {
		const formData = await event.request.formData();
		const values = {
			sourceId: String(formData.get('sourceId') ?? ''),
			title: String(formData.get('title') ?? ''),
			body: String(formData.get('body') ?? '')
		};
		const parsed = articleSchema.safeParse(values);
		if (!parsed.success) {
			const errors: Record<string, string> = {};
			for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
			return fail(400, { action: 'saveArticle', values, errors });
		}
		const tenant = await managedTenant(event, REFUSAL);
		const { sourceId, title, body } = parsed.data;
		const query = sourceId
			? event.locals.supabase
					.from('knowledge_sources')
					.update({ title, body })
					.eq('id', sourceId)
					.eq('agent_id', event.params.agent)
			: event.locals.supabase.from('knowledge_sources').insert({
					tenant_id: tenant.id,
					agent_id: event.params.agent,
					kind: 'article',
					title,
					body
				});
		const { data, error: saveError } = await query.select('id, passage_count');
		if (saveError) return refused('saveArticle', saveError);
		if (!data || data.length === 0) {
			return fail(404, {
				action: 'saveArticle',
				message: 'That article no longer exists. Reload the page to see the current knowledge.'
			});
		}
		const passages = (data[0] as { passage_count: number }).passage_count;
		return {
			action: 'saveArticle',
			message: `${title} is saved as ${passages} passage${passages === 1 ? '' : 's'}.`
		};
	},

	deleteSource: async (event) => {
		const formData = await event.request.formData();
		await managedTenant(event, REFUSAL);
		const { data, error: deleteError } = await event.locals.supabase
			.from('knowledge_sources')
			.delete()
			.eq('id', String(formData.get('sourceId') ?? ''))
			.eq('agent_id', event.params.agent)
			.select('title');
		if (deleteError) return refused('deleteSource', deleteError);
		if (!data || data.length === 0)
			return fail(404, { action: 'deleteSource', message: 'That source was already removed.' });
		return { action: 'deleteSource', message: `${data[0].title} is removed from the knowledge.` };
	},

	setLanguage: async (event) => {
		const formData = await event.request.formData();
		const language = String(formData.get('language') ?? '');
		const known = KNOWLEDGE_LANGUAGES.find(([value]) => value === language);
		if (!known) {
			return fail(400, { action: 'setLanguage', message: 'Choose one of the listed languages.' });
		}
		await managedTenant(event, REFUSAL);
		const { error: saveError } = await event.locals.supabase
			.from('ai_agents')
			.update({ knowledge_language: language })
			.eq('id', event.params.agent);
		if (saveError) return refused('setLanguage', saveError);
		return {
			action: 'setLanguage',
			message: `The knowledge is now read as ${known[1]}; every passage was re-indexed.`
		};
	}
};

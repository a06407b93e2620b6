import { error, fail } from '@sveltejs/kit';
import { cannedResponseFormSchema, listCannedResponses } from '$lib/inbox/canned-responses';
import { managedTenant } from '$lib/members/acting-membership.server';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import { echoValues, readForm } from '$lib/whatsapp/forms';
import type { Actions, PageServerLoad } from './$types';

const FIELDS = ['shortcut', 'title', 'body'] as const;
const MANAGERS_ONLY = 'Only owners and admins can change canned responses.';

export const load: PageServerLoad = async ({ locals, parent }) => {
	const { tenant } = await parent();
	try {
		return {
			title: 'Canned responses',
			responses: await listCannedResponses(locals.supabase, tenant.id)
		};
	} catch (failure) {
		console.error(failure);
		error(500, 'The canned responses could not be loaded. Reload the page to try again.');
	}
};

export const actions: Actions = {
	save: async (event) => {
		const formData = await event.request.formData();
		const values = echoValues(formData, [...FIELDS, 'responseId']);
		const responseId = String(formData.get('responseId') ?? '');
		const parsed = readForm(cannedResponseFormSchema, formData, FIELDS);
		if (!parsed.ok) return fail(400, { action: 'save', values, errors: parsed.errors });
		const tenant = await managedTenant(event, MANAGERS_ONLY);
		const row = parsed.data;
		const query = responseId
			? event.locals.supabase
					.from('canned_responses')
					.update(row)
					.eq('id', responseId)
					.eq('tenant_id', tenant.id)
			: event.locals.supabase.from('canned_responses').insert({ ...row, tenant_id: tenant.id });
		const { data, error: saveError } = await query.select('id');
		if (saveError) {
			// A shortcut already taken belongs beside the shortcut field.
			if (saveError.code === '23505')
				return fail(409, {
					action: 'save',
					values,
					errors: {
						shortcut: `/${row.shortcut} is already taken in this workspace; choose another shortcut.`
					}
				});
			const status = databaseErrorStatus(saveError);
			if (status === 500) console.error(saveError);
			return fail(status, { action: 'save', values, message: databaseErrorSentence(saveError) });
		}
		if (!data || data.length === 0)
			return fail(404, {
				action: 'save',
				values,
				message: 'That canned response no longer exists. Reload the page to see the current list.'
			});
		return { action: 'save', message: `/${row.shortcut} is saved.` };
	},

	delete: async (event) => {
		const formData = await event.request.formData();
		const responseId = String(formData.get('responseId') ?? '');
		const tenant = await managedTenant(event, MANAGERS_ONLY);
		const { data, error: deleteError } = await event.locals.supabase
			.from('canned_responses')
			.delete()
			.eq('id', responseId)
			.eq('tenant_id', tenant.id)
			.select('shortcut');
		if (deleteError) {
			const status = databaseErrorStatus(deleteError);
			if (status === 500) console.error(deleteError);
			return fail(status, { action: 'delete', message: databaseErrorSentence(deleteError) });
		}
		if (!data || data.length === 0)
			return fail(404, { action: 'delete', message: 'That canned response was already deleted.' });
		return { action: 'delete', message: `/${data[0].shortcut} is deleted.` };
	}
};

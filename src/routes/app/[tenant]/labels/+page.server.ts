import { error, fail } from '@sveltejs/kit';
import { labelFormSchema, listLabels } from '$lib/inbox/labels';
import { managedTenant } from '$lib/members/acting-membership.server';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import { echoValues, readForm } from '$lib/whatsapp/forms';
import type { Actions, PageServerLoad } from './$types';
import { isUuid } from '$lib/ids';

const FIELDS = ['name', 'colour'] as const;
const GONE = 'That label no longer exists. Reload the page to see the current list.';
const MANAGERS_ONLY = 'Only owners and admins can change labels.';

export const load: PageServerLoad = async ({ locals, parent }) => {
	const { tenant } = await parent();
	try {
		return { title: 'Labels', labels: await listLabels(locals.supabase, tenant.id) };
	} catch (failure) {
		console.error(failure);
		error(500, 'The labels could not be loaded. Reload the page to try again.');
	}
};

export const actions: Actions = {
	save: async (event) => {
		const formData = await event.request.formData();
		// A NUL cannot go back into the page either.
		const values = Object.fromEntries(
			Object.entries(echoValues(formData, [...FIELDS, 'labelId'])).map(([key, value]) => [
				key,
				value.replaceAll('\u0000', '')
			])
		);
		const labelId = String(formData.get('labelId') ?? '');
		if (labelId && !isUuid(labelId)) return fail(404, { action: 'save', values, message: GONE });
		const parsed = readForm(labelFormSchema, formData, FIELDS);
		if (!parsed.ok) return fail(400, { action: 'save', values, errors: parsed.errors });
		const tenant = await managedTenant(event, MANAGERS_ONLY);
		const row = parsed.data;
		const query = labelId
			? event.locals.supabase
					.from('labels')
					.update(row)
					.eq('id', labelId)
					.eq('tenant_id', tenant.id)
			: event.locals.supabase.from('labels').insert({ ...row, tenant_id: tenant.id });
		const { data, error: saveError } = await query.select('id');
		if (saveError) {
			// A name already taken belongs beside the name field.
			if (saveError.code === '23505')
				return fail(409, {
					action: 'save',
					values,
					errors: {
						name: `This workspace already has a label called ${row.name}; choose another name.`
					}
				});
			const status = databaseErrorStatus(saveError);
			if (status === 500) console.error(saveError);
			return fail(status, { action: 'save', values, message: databaseErrorSentence(saveError) });
		}
		if (!data || data.length === 0) return fail(404, { action: 'save', values, message: GONE });
		return { action: 'save', message: `The label ${row.name} is saved.` };
	},

	delete: async (event) => {
		const formData = await event.request.formData();
		const labelId = String(formData.get('labelId') ?? '');
		const tenant = await managedTenant(event, MANAGERS_ONLY);
		if (!isUuid(labelId))
			return fail(404, { action: 'delete', message: 'That label was already deleted.' });
		const { data, error: deleteError } = await event.locals.supabase
			.from('labels')
			.delete()
			.eq('id', labelId)
			.eq('tenant_id', tenant.id)
			.select('name');
		if (deleteError) {
			const status = databaseErrorStatus(deleteError);
			if (status === 500) console.error(deleteError);
			return fail(status, { action: 'delete', message: databaseErrorSentence(deleteError) });
		}
		if (!data || data.length === 0)
			return fail(404, { action: 'delete', message: 'That label was already deleted.' });
		return {
			action: 'delete',
			message: `The label ${data[0].name} is deleted and taken off every conversation.`
		};
	}
};

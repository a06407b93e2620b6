import { fail, redirect } from '@sveltejs/kit';
import { formText, parseForm, type FormFailure } from '$lib/auth/forms';
import { createWorkspaceSchema } from '$lib/members/forms';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import { listMyWorkspaces, soleWorkspacePath, type MyWorkspace } from '$lib/workspaces';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, parent, url }) => {
	const { user } = await parent();
	let workspaces: MyWorkspace[] = [];
	let workspacesError: string | null = null;
	try {
		workspaces = await listMyWorkspaces(locals.supabase, user.id);
	} catch (error) {
		console.error(error);
		workspacesError = "We couldn't load your workspaces. Reload the page to try again.";
	}
	const straightIn = soleWorkspacePath(workspaces, url);
	if (straightIn) redirect(303, straightIn);
	return { title: 'Home', workspaces, workspacesError };
};

type Failure = FormFailure<typeof createWorkspaceSchema>;

export const actions: Actions = {
	createWorkspace: async ({ request, locals }) => {
		const formData = await request.formData();
		const values: Failure['values'] = {
			name: formText(formData, 'name'),
			slug: formText(formData, 'slug')
		};
		const failure = (errors: Failure['errors'], message: string | null = null): Failure => ({
			values,
			errors,
			message
		});
		const parsed = parseForm(createWorkspaceSchema, formData);
		if (!parsed.ok) return fail(400, failure(parsed.errors));

		const { data, error } = await locals.supabase
			.rpc('create_tenant', parsed.data)
			.single<{ slug: string }>();
		if (error) {
			const sentence = databaseErrorSentence(error);
			if (error.code === '23505' || (error.code === '22023' && /address/.test(sentence)))
				return fail(databaseErrorStatus(error), failure({ slug: sentence }));
			if (error.code === '22023') return fail(400, failure({ name: sentence }));
			if (databaseErrorStatus(error) === 500) console.error(error);
			return fail(databaseErrorStatus(error), failure({}, sentence));
		}
		redirect(303, `/app/${data.slug}/whatsapp`);
	}
};

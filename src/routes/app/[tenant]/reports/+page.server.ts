import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { actingMembership } from '$lib/members/acting-membership.server';
import { canManageMembers } from '$lib/members/roles';
import { loadReportPage } from '$lib/reports/page-data.server';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, parent, url, depends }) => {
	// Re-run when the tenant's conversations change (the page invalidates this on live events).
	depends('app:reports');
	const { tenant, role } = await parent();
	const data = await loadReportPage(locals.supabase, tenant.id, url);
	return {
		title: 'Reports',
		...data,
		canChangeTimeZone: canManageMembers(role),
		timeZones: canManageMembers(role) ? Intl.supportedValuesOf('timeZone') : []
	};
};

const timeZoneSchema = z.object({
	timeZone: z.string().trim().min(1, 'Choose a time zone.').max(64)
});

export const actions: Actions = {
	timeZone: async (event) => {
		const { tenant, role } = await actingMembership(event);
		if (!canManageMembers(role))
			return fail(403, { message: 'Only owners and admins can change the time zone.' });
		const parsed = timeZoneSchema.safeParse(Object.fromEntries(await event.request.formData()));
		if (!parsed.success) return fail(400, { message: 'Choose a time zone.' });
		const { error, count } = await event.locals.supabase
			.from('tenants')
			.update({ time_zone: parsed.data.timeZone }, { count: 'exact' })
			.eq('id', tenant.id);
		// The database names an unknown zone in a sentence; anything else is ours to log.
		if (error?.code === '22023') return fail(400, { message: error.message });
		if (error) {
			console.error(error);
			return fail(500, { message: 'The time zone could not be saved. Try again in a moment.' });
		}
		if (!count) return fail(403, { message: 'Only owners and admins can change the time zone.' });
		return { message: `Reports now read days and hours in ${parsed.data.timeZone}.` };
	}
};

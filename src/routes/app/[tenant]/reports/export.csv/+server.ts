import { error } from '@sveltejs/kit';
import { loadTenantMembership } from '$lib/members/tenancy';
import { reportToCsv } from '$lib/reports/csv';
import { loadReportPage } from '$lib/reports/page-data.server';
import type { RequestHandler } from './$types';

/** The report of the page's period and filters as a CSV download. */
export const GET: RequestHandler = async ({ locals, params, url }) => {
	const { user } = await locals.safeGetSession();
	if (!user) error(401, 'Sign in to download reports.');
	const membership = await loadTenantMembership(locals.supabase, params.tenant, user.id);
	if (!membership) error(404, 'Not found');
	const data = await loadReportPage(locals.supabase, membership.tenant.id, url);
	const csv = reportToCsv(data.report, {
		members: new Map(data.members.map((member) => [member.userId, member.displayName])),
		numbers: new Map(data.numbers.map((number) => [number.id, number.displayName]))
	});
	const file = `parley-report-${membership.tenant.slug}-${data.period.firstDay}-to-${data.period.lastDay}.csv`;
	return new Response(csv, {
		headers: {
			'content-type': 'text/csv; charset=utf-8',
			'content-disposition': `attachment; filename="${file}"`,
			'cache-control': 'private, no-store'
		}
	});
};

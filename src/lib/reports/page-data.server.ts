import { z } from 'zod';
import { listMembers } from '$lib/members/tenancy';
import type { ParleyClient } from '$lib/supabase/types';
import { periodOf, readReportQuery, type Period } from './period';
import { loadReport, loadTenantToday, type Report } from './report';

export interface ReportPageData {
	period: Period;
	/** Why the custom period asked for could not be used, in words. */
	periodProblem?: string;
	today: string;
	numberId?: string;
	memberId?: string;
	report: Report;
	members: { userId: string; displayName: string }[];
	numbers: { id: string; displayName: string }[];
}

const numberRows = z.array(z.object({ id: z.uuid(), display_name: z.string() }));

/** Everything the Reports page and its CSV export read, for the period in the address. */
export async function loadReportPage(
	supabase: ParleyClient,
	tenantId: string,
	url: URL
): Promise<ReportPageData> {
	const query = readReportQuery(url.searchParams);
	const today = await loadTenantToday(supabase, tenantId);
	const { period, problem } = periodOf(query, today);
	const filters = { numberId: query.number, memberId: query.member };
	const [report, members, numbers] = await Promise.all([
		loadReport(supabase, tenantId, period, filters),
		listMembers(supabase, tenantId),
		supabase
			.from('whatsapp_numbers')
			.select('id, display_name')
			.eq('tenant_id', tenantId)
			.order('display_name')
	]);
	if (numbers.error) throw new Error(`Could not list the numbers: ${numbers.error.message}`);
	return {
		period,
		periodProblem: problem,
		today,
		numberId: filters.numberId,
		memberId: filters.memberId,
		report,
		members: members.map((member) => ({ userId: member.userId, displayName: member.displayName })),
		numbers: numberRows
			.parse(numbers.data)
			.map((number) => ({ id: number.id, displayName: number.display_name }))
	};
}

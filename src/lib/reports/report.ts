import { z } from 'zod';
import type { ParleyClient } from '$lib/supabase/types';
import type { Period } from './period';

// conversation_report's answer (20261202120100_report_functions.sql), checked at the boundary.
const seconds = z.number().nullable();

export const figuresSchema = z.object({
	conversations_opened: z.number(),
	messages_in: z.number().nullable(),
	messages_out_human: z.number(),
	messages_out_ai: z.number(),
	first_response_human_count: z.number(),
	first_response_human_median: seconds,
	first_response_human_p90: seconds,
	first_response_ai_count: z.number(),
	first_response_ai_median: seconds,
	first_response_ai_p90: seconds,
	resolved: z.number(),
	resolved_by_ai: z.number(),
	resolution_median: seconds,
	resolution_p90: seconds,
	ai_answered: z.number(),
	escalated: z.number(),
	escalation_rate: z.number().nullable(),
	failed: z.number(),
	sentiment: z.object({ positive: z.number(), neutral: z.number(), negative: z.number() })
});
export type Figures = z.infer<typeof figuresSchema>;

export const reportSchema = z.object({
	scope: z.enum(['tenant', 'own']),
	time_zone: z.string(),
	first_day: z.string(),
	last_day: z.string(),
	previous_first_day: z.string(),
	granularity: z.enum(['hour', 'day']),
	current: figuresSchema,
	previous: figuresSchema,
	volume: z.array(
		z.object({ at: z.string(), inbound: z.number(), human: z.number(), ai: z.number() })
	),
	members: z.array(
		z.object({
			user_id: z.uuid(),
			messages_sent: z.number(),
			first_responses: z.number(),
			first_response_median: seconds,
			resolved: z.number()
		})
	),
	numbers: z.array(
		z.object({
			number_id: z.uuid(),
			opened: z.number(),
			inbound: z.number(),
			outbound: z.number()
		})
	),
	heatmap: z.array(z.object({ weekday: z.number(), hour: z.number(), inbound: z.number() })),
	escalation_reasons: z.array(z.object({ reason: z.string(), count: z.number() })),
	failures: z.array(
		z.object({ error_code: z.string().nullable(), reason: z.string(), count: z.number() })
	)
});
export type Report = z.infer<typeof reportSchema>;

/** Asks the database for a period's figures through RLS, as the signed-in member. */
export async function loadReport(
	supabase: ParleyClient,
	tenantId: string,
	period: Period,
	filters: { numberId?: string; memberId?: string }
): Promise<Report> {
	// Messages count themselves into a queue the database folds every few seconds; folding the
	// tenant's queue first makes the report count every message committed before it.
	const counted = await supabase.rpc('count_report_messages', { tenant_id: tenantId });
	if (counted.error) throw new Error(`Could not compute the report: ${counted.error.message}`);
	const { data, error } = await supabase.rpc('conversation_report', {
		tenant_id: tenantId,
		first_day: period.firstDay,
		last_day: period.lastDay,
		number_id: filters.numberId,
		member_id: filters.memberId
	});
	if (error) throw new Error(`Could not compute the report: ${error.message}`);
	return reportSchema.parse(data);
}

/** The tenant's date today, in its time zone. */
export async function loadTenantToday(supabase: ParleyClient, tenantId: string): Promise<string> {
	const { data, error } = await supabase.rpc('tenant_today', { tenant_id: tenantId });
	if (error) throw new Error(`Could not read the workspace's date: ${error.message}`);
	return z.string().parse(data);
}

import { z } from 'zod';
import {
	numberViewFromRow as viewOfNumber,
	type NumberRowFields,
	type NumberView
} from '$shared/contracts';
import type { Tables } from '$lib/supabase/types';
import type { AiAgent } from './types.ts';

/** The line under a number's name: its WhatsApp address, or Meta's phone number id. */
export function numberSubtitle(number: Pick<NumberView, 'address' | 'phoneNumberId'>): string {
	if (number.address) return number.address.replace(/^whatsapp:/, '');
	return number.phoneNumberId ? `Phone Number ID ${number.phoneNumberId}` : '';
}

/** Agents a number may be given: those with WhatsApp on, plus the one it has now (so it stays shown). */
export function assignableAgents<A extends Pick<AiAgent, 'id' | 'whatsapp_enabled'>>(
	agents: readonly A[],
	currentAgentId: string | null
): A[] {
	return agents.filter((agent) => agent.whatsapp_enabled || agent.id === currentAgentId);
}

/** A `whatsapp_numbers` row as members read it through RLS (no secrets live in this table). */
export type NumberRow = Pick<Tables<'whatsapp_numbers'>, keyof NumberRowFields>;

const providerSchema = z.enum(['twilio', 'meta']);

/** The columns of `NumberRow`, for `select`. */
export const NUMBER_ROW_COLUMNS =
	'id, tenant_id, provider, display_name, address, phone_number_id, business_account_id, assigned_agent_id, active, last_webhook_at, last_error, needs_attention, provider_notice, provider_notice_at, created_at, updated_at';

/**
 * A row read by a member who may not manage numbers, as the function's view without what only
 * managers see (credentials, webhook settings). One argument, so it can be given to `map`.
 */
export function numberViewFromRow(row: NumberRow): NumberView {
	return viewOfNumber({ ...row, provider: providerSchema.parse(row.provider) });
}

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

/** How a number's webhooks are doing, for the badge beside its active state. */
export interface NumberHealth {
	tone: 'failing' | 'verified' | 'waiting';
	label: string;
	/** The longer sentence behind the label. */
	detail: string;
}

/**
 * Failing when the provider rejected its credentials (the card says why), verified once a signed
 * webhook arrived (the signature proves the provider, the app secret and the URL all fit), waiting
 * before that.
 */
export function numberHealth(
	number: Pick<NumberView, 'needsAttention' | 'lastError' | 'lastWebhookAt'>
): NumberHealth {
	if (number.needsAttention || number.lastError)
		return {
			tone: 'failing',
			label: 'Failing',
			detail: number.lastError ?? "The provider refused this number's credentials."
		};
	if (number.lastWebhookAt)
		return {
			tone: 'verified',
			label: 'Verified',
			detail: 'Signed webhooks from the provider reach Parley.'
		};
	return {
		tone: 'waiting',
		label: 'Not verified',
		detail: 'No webhook has reached Parley yet; open Webhook setup to connect it.'
	};
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

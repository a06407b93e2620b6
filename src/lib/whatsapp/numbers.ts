import type { AiAgent, NumberView } from './types.ts';

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
export interface NumberRow {
	id: string;
	tenant_id: string;
	provider: 'twilio' | 'meta';
	display_name: string;
	address: string | null;
	phone_number_id: string | null;
	business_account_id: string | null;
	assigned_agent_id: string | null;
	active: boolean;
	last_webhook_at: string | null;
	last_error: string | null;
	needs_attention: boolean;
	provider_notice: string | null;
	provider_notice_at: string | null;
	created_at: string;
	updated_at: string;
}

/** The columns of `NumberRow`, for `select`. */
export const NUMBER_ROW_COLUMNS =
	'id, tenant_id, provider, display_name, address, phone_number_id, business_account_id, assigned_agent_id, active, last_webhook_at, last_error, needs_attention, provider_notice, provider_notice_at, created_at, updated_at';

/**
 * A row read by a member who may not manage numbers, shaped like the function's view: no
 * credentials and no webhook settings (those are for the people who configure the provider).
 */
export function numberViewFromRow(row: NumberRow): NumberView {
	return {
		id: row.id,
		tenantId: row.tenant_id,
		provider: row.provider,
		displayName: row.display_name,
		address: row.address,
		phoneNumberId: row.phone_number_id,
		businessAccountId: row.business_account_id,
		assignedAgentId: row.assigned_agent_id,
		active: row.active,
		lastWebhookAt: row.last_webhook_at,
		lastError: row.last_error,
		needsAttention: row.needs_attention,
		providerNotice: row.provider_notice,
		providerNoticeAt: row.provider_notice_at,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		credentials: null,
		webhook: null
	};
}

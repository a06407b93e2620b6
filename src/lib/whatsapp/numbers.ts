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

import type { Tables } from '$lib/supabase/types';

/**
 * What the provider functions answer, written once in the functions' contracts: a connected number
 * (secrets masked), the tenant's Twilio account (token masked), a Twilio sender to pick, and the
 * error body every function answers with.
 */
export type {
	FunctionErrorBody,
	NumberView,
	TwilioIntegrationView as TwilioIntegration,
	TwilioNumberOption
} from '$shared/contracts';

/** An AI agent row (`ai_agents`) as the pages use it. */
export type AiAgent = Pick<
	Tables<'ai_agents'>,
	'id' | 'name' | 'instructions' | 'model' | 'active' | 'whatsapp_enabled' | 'updated_at'
>;

/** What a number's recent deliveries could not store: how many items, and the latest reason. */
export interface ItemFailureSummary {
	count: number;
	latestReason: string;
	latestAt: string;
	/** The window counted, in days. */
	days: number;
}

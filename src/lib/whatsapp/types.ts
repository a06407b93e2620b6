/** A connected WhatsApp number as the whatsapp-numbers function shows it (secrets masked). */
export interface NumberView {
	id: string;
	tenantId: string;
	provider: 'twilio' | 'meta';
	displayName: string;
	address: string | null;
	phoneNumberId: string | null;
	businessAccountId: string | null;
	assignedAgentId: string | null;
	active: boolean;
	lastWebhookAt: string | null;
	lastError: string | null;
	needsAttention: boolean;
	/** What Meta last said about the number's quality, limits or standing, in words. */
	providerNotice: string | null;
	providerNoticeAt: string | null;
	createdAt: string;
	updatedAt: string;
	credentials: null | { accessToken: string; appSecret: string };
	// Null when read by a member who does not manage numbers.
	webhook: { callbackUrl: string; verifyToken: string | null } | null;
}

/** The tenant's Twilio account as the twilio-integration function shows it (token masked). */
export interface TwilioIntegration {
	id: string;
	tenantId: string;
	provider: 'twilio';
	accountSid: string;
	accountName: string | null;
	status: 'connected' | 'failed';
	lastError: string | null;
	authToken: string;
	verifiedAt: string | null;
	connectedAt: string | null;
	updatedAt: string;
}

/** One WhatsApp sender of the Twilio account, live from Twilio. */
export interface TwilioNumberOption {
	address: string;
	phoneNumber: string;
	friendlyName: string;
	status: string;
	connectedNumberId: string | null;
}

/** An AI agent row (`ai_agents`) as the pages use it. */
export interface AiAgent {
	id: string;
	name: string;
	instructions: string;
	model: string;
	active: boolean;
	whatsapp_enabled: boolean;
	updated_at: string;
}

/** The error body every provider function answers with. */
export interface FunctionErrorBody {
	code: string;
	message: string;
	/** Field problems: zod's issues, or the template variables left empty. */
	details?: { issues?: { path: string; message: string }[]; missing?: string[] };
}

/** What a number's recent deliveries could not store: how many items, and the latest reason. */
export interface ItemFailureSummary {
	count: number;
	latestReason: string;
	latestAt: string;
	/** The window counted, in days. */
	days: number;
}

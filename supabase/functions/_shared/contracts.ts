/**
 * What the Edge Functions answer and the app reads, written once: the views of numbers and of the
 * Twilio integration, a template reference, the error body, message statuses and their order, and
 * WhatsApp's 24-hour service window. Import-free, so the app reaches it through `$shared` and the
 * functions, Node and Deno all load it as it is.
 */

/** The providers a WhatsApp number can be connected through. */
export type ProviderName = 'twilio' | 'meta';

// ---------------------------------------------------------------------------------------------
// Errors

/** One field problem: zod's issue path (`address`, `template.name`) and its sentence. */
export interface FunctionErrorIssue {
	path: string;
	message: string;
}

/** What an error's `details` may carry, by the codes that send them. */
export interface FunctionErrorDetails {
	/** invalid_request, twilio_number_not_owned, meta_*: the fields to correct. */
	issues?: FunctionErrorIssue[];
	/** template_variables_missing: the template's fields left empty (keys as the picker names them). */
	missing?: string[];
	/** outside_window: when the customer's window closed; null when they never wrote. */
	windowClosedAt?: string | null;
}

/**
 * The body of every error answer of Parley's functions (HttpError through errorResponse): a stable
 * machine `code`, a sentence a person can act on, and `details` for some codes.
 */
export interface FunctionErrorBody {
	code: string;
	message: string;
	details?: FunctionErrorDetails;
}

// ---------------------------------------------------------------------------------------------
// Message statuses

/**
 * A message's delivery status, in the order it moves: `received` is an inbound message's only
 * status; an outbound one goes queued → sent → delivered → read, or ends `failed`.
 */
export const messageStatuses = [
	'received',
	'queued',
	'sent',
	'delivered',
	'read',
	'failed'
] as const;
export type MessageStatus = (typeof messageStatuses)[number];

/** The statuses a provider reports for a sent message. */
export type DeliveryStatus = Exclude<MessageStatus, 'received'>;

/** Each status's place in `messageStatuses` (queued < sent < delivered < read). */
export function messageStatusRank(status: MessageStatus): number {
	return messageStatuses.indexOf(status);
}

/**
 * Whether a message at `current` moves to `next` when a status for it arrives, as the database
 * decides it (`public.message_status_advances`): forward only, whatever order callbacks arrive in;
 * `failed` wins over queued and sent; a `delivered` or `read` after `failed` (another of the
 * customer's devices) ends on the better status.
 */
export function messageStatusAdvances(current: MessageStatus, next: MessageStatus): boolean {
	if (current === 'failed') return next === 'delivered' || next === 'read';
	if (next === 'failed') return current === 'queued' || current === 'sent';
	return messageStatusRank(next) > messageStatusRank(current);
}

// ---------------------------------------------------------------------------------------------
// The 24-hour service window

/** WhatsApp allows free-form messages only within 24 hours of the customer's last message. */
export const serviceWindowMs = 24 * 60 * 60 * 1000;

/** Whether free text may be sent now, and until when (null when the customer never wrote). */
export interface ServiceWindow {
	open: boolean;
	closesAt: Date | null;
}

/** The service window of a conversation from its `last_inbound_at`, at `now` (ms since epoch). */
export function serviceWindow(lastInboundAt: string | null, now: number): ServiceWindow {
	if (!lastInboundAt) return { open: false, closesAt: null };
	const closesAt = new Date(Date.parse(lastInboundAt) + serviceWindowMs);
	return { open: closesAt.getTime() > now, closesAt };
}

// ---------------------------------------------------------------------------------------------
// Templates

/** The media kinds a template header can take a link for. */
export const mediaHeaderFormats = ['image', 'video', 'document'] as const;
export type MediaHeaderFormat = (typeof mediaHeaderFormats)[number];

/** The values a template send carries; the same names in whatsapp-send, the picker and the stored message. */
export interface TemplateValues {
	/** The body's values (Meta), or every placeholder's (Twilio). */
	variables?: Record<string, string>;
	/** Meta: the text header's values. */
	headerVariables?: Record<string, string>;
	/** Meta: the media a media header shows, by link. */
	headerMedia?: { type: MediaHeaderFormat; link: string };
	/** Meta: each URL button's `{{1}}` value, by the button's position ('0', '1'…). */
	buttonVariables?: Record<string, string>;
}

/**
 * A template to send, as whatsapp-send takes it and a template message keeps it: Twilio by
 * `contentSid` with every placeholder's value, Meta by `name` and `language` with the body's,
 * header's and URL buttons' values (or ready-made `components`).
 */
export interface TemplateReference extends TemplateValues {
	name?: string;
	language?: string;
	contentSid?: string;
	components?: unknown[];
}

// ---------------------------------------------------------------------------------------------
// WhatsApp numbers (whatsapp-numbers)

/** A `whatsapp_numbers` row as far as its view needs (members read it through RLS: no secrets). */
export interface NumberRowFields {
	id: string;
	tenant_id: string;
	provider: ProviderName;
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

/** A Meta number's stored secrets, masked: `••••abcd`, null when none is stored. */
export interface MaskedNumberCredentials {
	accessToken: string | null;
	appSecret: string | null;
}

/** Where the provider must send the number's webhooks; the verify token is Meta's (null for Twilio). */
export interface NumberWebhook {
	callbackUrl: string;
	verifyToken: string | null;
}

/** What only owners and admins see of a number: masked credentials (Meta) and webhook settings. */
export interface NumberManagement {
	credentials: MaskedNumberCredentials | null;
	webhook: NumberWebhook;
}

/**
 * A connected WhatsApp number. The whatsapp-numbers function answers it with `webhook` (and
 * `credentials` for Meta); a view the app builds for a member who does not manage numbers has both null.
 */
export interface NumberView {
	id: string;
	tenantId: string;
	provider: ProviderName;
	displayName: string;
	/** `whatsapp:+E164` (for Meta, the number Meta reported when it was connected). */
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
	credentials: MaskedNumberCredentials | null;
	webhook: NumberWebhook | null;
}

/** A number's view from its row; `management` only for owners and admins (the function). */
export function numberViewFromRow(
	row: NumberRowFields,
	management: NumberManagement | null = null
): NumberView {
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
		credentials: management?.credentials ?? null,
		webhook: management?.webhook ?? null
	};
}

/** A WhatsApp sender the provider account offers (for the "pick a number" list). */
export interface ProviderNumber {
	/** `whatsapp:+E164`, what Parley stores as the number's address. */
	address: string;
	/** `+E164`. */
	phoneNumber: string;
	/** What the provider calls it (Twilio profile name, Meta verified name). */
	friendlyName: string;
	/** The provider's own status word, e.g. ONLINE or CONNECTED. */
	status: string;
}

/** One entry of the "pick a Twilio number" list. */
export interface TwilioNumberOption extends ProviderNumber {
	/** The id of this tenant's number already connected with this address, or null. */
	connectedNumberId: string | null;
}

/**
 * Whether the Meta app is subscribed to the number's WhatsApp Business Account, without which
 * Meta sends no webhooks for it: `present` (it was), `subscribed` (Parley just did it), `refused`
 * (Meta would not) or `unknown` (Meta would not say); `sentence` says what happened for the card.
 */
export interface MetaAppSubscription {
	status: 'present' | 'subscribed' | 'refused' | 'unknown';
	sentence: string | null;
}

/** GET /whatsapp-numbers/{tenantId}. */
export interface NumberListAnswer {
	numbers: NumberView[];
}

/** POST, GET and PATCH of one number; `appSubscription` when a Meta business account was (re)checked. */
export interface NumberAnswer {
	number: NumberView;
	appSubscription?: MetaAppSubscription;
}

/** DELETE /whatsapp-numbers/{tenantId}/{numberId}. */
export interface NumberDeletedAnswer {
	deleted: true;
	id: string;
}

/** GET /whatsapp-numbers/{tenantId}/twilio-numbers. */
export interface TwilioNumberListAnswer {
	numbers: TwilioNumberOption[];
}

// ---------------------------------------------------------------------------------------------
// The Twilio integration (twilio-integration)

/** The tenant's Twilio account as the twilio-integration function shows it: the token only masked. */
export interface TwilioIntegrationView {
	id: string;
	tenantId: string;
	provider: 'twilio';
	accountSid: string;
	accountName: string | null;
	status: 'connected' | 'failed';
	lastError: string | null;
	/** `••••1234`; null when no token is stored. */
	authToken: string | null;
	verifiedAt: string;
	connectedAt: string;
	updatedAt: string;
}

/** GET and POST /twilio-integration/{tenantId}. */
export interface TwilioIntegrationAnswer {
	integration: TwilioIntegrationView | null;
}

// ---------------------------------------------------------------------------------------------
// Sending (whatsapp-send)

/** POST whatsapp-send/read: the inbox is read; whether the provider's read receipt went out. */
export interface MarkReadAnswer {
	conversationId: string;
	unreadCount: 0;
	providerReceipt: 'sent' | 'not_supported' | 'failed';
}

/**
 * The interfaces every WhatsApp provider adapter implements, so adding a provider touches one file:
 * credentials and numbers (WhatsAppProviderAdapter), sending, read marks and media
 * (WhatsAppMessagingAdapter), and the shapes webhook parsers produce for ingest_whatsapp_delivery
 * (InboundMessage, StatusUpdate). Each provider file also exports its signature check and parser.
 */
import type { TemplateButton, TemplateHeaderFormat, TemplateVariable } from '../template-text.ts';
import type {
	DeliveryStatus,
	ProviderName,
	ProviderNumber,
	TemplateReference
} from '../contracts.ts';

export type { ProviderName, ProviderNumber, TemplateReference };

/** What the provider says about credentials it accepted. */
export interface VerifiedCredentials {
	/** Account friendly name (Twilio) or verified business name (Meta). */
	accountName: string;
	/** The number the credentials belong to, `+E164`, when they name one (Meta). */
	phoneNumber?: string;
}

/** One provider behind one shape: check credentials, list the account's WhatsApp numbers. */
export interface WhatsAppProviderAdapter<Credentials> {
	readonly provider: ProviderName;
	/** Asks the provider whether these credentials work; throws an HttpError with a sentence otherwise. */
	verifyCredentials(credentials: Credentials): Promise<VerifiedCredentials>;
	/** The account's WhatsApp-capable numbers, live from the provider. */
	listNumbers(credentials: Credentials): Promise<ProviderNumber[]>;
	/**
	 * The message templates the account offers: Meta lists the WhatsApp Business Account's (so it
	 * needs its id), Twilio the account's Content API templates with their WhatsApp approval.
	 */
	listTemplates(credentials: Credentials): Promise<ProviderTemplate[]>;
}

/** Message kinds Parley stores; `reaction` never becomes a message row (it is shown on its target). */
export type InboundMessageType =
	| 'text'
	| 'image'
	| 'audio'
	| 'video'
	| 'document'
	| 'sticker'
	| 'location'
	| 'contacts'
	| 'interactive'
	| 'button'
	| 'order'
	| 'system'
	| 'unsupported'
	| 'reaction';

/** Media as stored on a message: `provider_ref` is only ever used server-side (whatsapp-media). */
export interface InboundMedia {
	provider_ref: string;
	mime_type: string | null;
	filename?: string | null;
	caption?: string | null;
	sha256?: string | null;
}

/** An attachment as a message keeps it (`messages.media`), with where Storage keeps its copy once kept. */
export interface MessageMedia {
	provider_ref?: string;
	mime_type?: string | null;
	filename?: string | null;
	caption?: string | null;
	sha256?: string | null;
	storage_path?: string | null;
}

/** One inbound message in the shape ingest_whatsapp_delivery takes (snake_case, as stored). */
export interface InboundMessage {
	provider_message_id: string;
	/** The customer's number, digits only; null for a username customer whose phone is hidden. */
	wa_id: string | null;
	/** The customer's business-scoped user id (`US.1349…`), when the provider names one. */
	user_id?: string | null;
	parent_user_id?: string | null;
	/** The customer's WhatsApp username (`@name`), when they have one. */
	username?: string | null;
	profile_name?: string | null;
	type: InboundMessageType;
	body?: string | null;
	media?: InboundMedia | null;
	location?: {
		latitude: number;
		longitude: number;
		name?: string | null;
		address?: string | null;
	} | null;
	/** Contact cards, interactive/button replies, order or system payloads: the provider's shape. */
	content?: unknown;
	reply_to_provider_id?: string | null;
	reaction?: { target_provider_id: string; emoji: string } | null;
	/** When the customer sent it (ISO), if the provider says. */
	sent_at?: string | null;
	/** `outbound`: an echo of a message the business sent from elsewhere (the WhatsApp Business app). */
	direction?: 'outbound';
}

/**
 * Something the provider says about the account rather than a conversation: a template's new
 * status, or a notice about a number's quality, limits or standing (in words).
 */
export type AccountEvent =
	| {
			kind: 'template_status';
			template_id: string;
			name: string | null;
			language: string | null;
			status: string;
			reason: string | null;
	  }
	| { kind: 'number_notice'; display_phone_number: string | null; sentence: string };

/** A delivery status in the shape ingest_whatsapp_delivery takes. */
export interface StatusUpdate {
	provider_message_id: string;
	status: DeliveryStatus;
	error_code?: string | null;
	/** A sentence a person understands (see pipeline-errors.ts). */
	error_message?: string | null;
	occurred_at?: string | null;
}

/** An item of a delivery the parser could not read: kept with its reason, never dropped. */
export interface RejectedItem {
	kind: 'message' | 'status';
	provider_message_id: string | null;
	/** A sentence an admin understands. */
	reason: string;
	/** The item as the provider sent it. */
	item: unknown;
}

/** What one webhook delivery carries once parsed. */
export interface ParsedDelivery {
	messages: InboundMessage[];
	statuses: StatusUpdate[];
	rejected: RejectedItem[];
	events: AccountEvent[];
}

/** A delivery with nothing in it yet. */
export function emptyDelivery(): ParsedDelivery {
	return { messages: [], statuses: [], rejected: [], events: [] };
}

/** Whether a parsed delivery carries anything to store. */
export function deliveryHasItems(delivery: ParsedDelivery): boolean {
	return (
		delivery.messages.length +
			delivery.statuses.length +
			delivery.rejected.length +
			delivery.events.length >
		0
	);
}

/** A message template as the provider lists it, in the shape sync_whatsapp_templates stores. */
export interface ProviderTemplate {
	/** Meta's template id, or Twilio's Content SID (HX…). */
	provider_template_id: string;
	name: string;
	language: string;
	category: string | null;
	/** Lower case: approved, pending, rejected, paused, disabled, unsubmitted… */
	status: string;
	rejection_reason: string | null;
	header: string | null;
	body: string;
	footer: string | null;
	/** The body's placeholders in order (Twilio: every placeholder), with the provider's sample. */
	variables: TemplateVariable[];
	/** What the header holds; null without a header. */
	header_format: TemplateHeaderFormat | null;
	/** A Meta text header's placeholders (numbered apart from the body's). */
	header_variables: TemplateVariable[];
	/** In the provider's order, which is the index a Meta send names. */
	buttons: TemplateButton[];
}

/** A business-scoped user id as Meta and Twilio write it: country, a dot, up to 128 alphanumerics. */
export const businessScopedUserId = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;

/** Who a message goes to: the customer's phone (digits) when known, else their business-scoped user id. */
export interface Recipient {
	waId: string | null;
	userId: string | null;
}

/** An attachment to send: a URL the provider fetches it from (answering 200 with its type). */
export interface OutboundMedia {
	kind: 'image' | 'video' | 'audio' | 'document';
	url: string;
	mimeType: string;
	filename?: string | null;
}

/** What to send: free text, a template, or an attachment (with `text` as its caption), to a customer. */
export interface OutboundMessage {
	to: Recipient;
	text?: string;
	media?: OutboundMedia;
	template?: TemplateReference;
	/** Where the provider reports statuses (Twilio; Meta uses the app's webhook). */
	statusCallbackUrl?: string;
}

/** The provider accepted a message. */
export interface SendResult {
	providerMessageId: string;
	status: 'queued' | 'sent';
}

/** A provider refused to send (or to serve media); `sentence` is what a person reads. */
export class ProviderSendError extends Error {
	constructor(
		readonly code: string,
		readonly sentence: string,
		/** The credentials no longer work (Twilio 20003, Meta 190): the number needs attention. */
		readonly credentialsRejected: boolean,
		/** The provider could not be reached or failed itself (worth retrying later). */
		readonly unavailable = false
	) {
		super(sentence);
		this.name = 'ProviderSendError';
	}
}

/** Media bytes fetched from a provider with the number's credentials. */
export interface FetchedMedia {
	body: ReadableStream<Uint8Array> | null;
	contentType: string;
}

/** Sending and receiving through one provider, Chatwoot-style: one adapter per channel. */
export interface WhatsAppMessagingAdapter<SendCredentials> {
	readonly provider: ProviderName;
	/** Sends text or a template; throws ProviderSendError with a sentence when refused. */
	send(credentials: SendCredentials, message: OutboundMessage): Promise<SendResult>;
	/** Tells the provider the customer's message was read (blue ticks), where supported. */
	markRead(credentials: SendCredentials, providerMessageId: string): Promise<void>;
	/** Downloads inbound media by the reference stored on the message. */
	fetchMedia(credentials: SendCredentials, providerRef: string): Promise<FetchedMedia>;
}

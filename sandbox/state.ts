/**
 * The sandbox's memory: provider accounts, numbers, templates, messages, the 24-hour windows,
 * recorded requests and sent webhooks. Everything lives in one object so a test can reset it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DEMO_CREDENTIALS } from './demo.ts';

export type ProviderName = 'twilio' | 'meta';

export interface TwilioNumber {
	sid: string;
	accountSid: string;
	phoneNumber: string;
	friendlyName: string;
	whatsapp: boolean;
	/** The "a message comes in" URL; falls back to `${webhookBaseUrl}/twilio-webhook`. */
	webhookUrl?: string;
	/** Status callback used when a send names none. */
	statusCallbackUrl?: string;
	messagingServiceSid?: string;
}

export interface TwilioAccount {
	sid: string;
	authToken: string;
	friendlyName: string;
	status: 'active' | 'suspended' | 'closed';
	dateCreated: Date;
}

export interface TwilioTemplate {
	sid: string;
	accountSid: string;
	friendlyName: string;
	language: string;
	variables: Record<string, string>;
	/** The text sent: the body, or a card's title and subtitle. */
	body: string;
	/** A `twilio/card` Content (title, subtitle, media, actions) instead of `twilio/text`. */
	card?: TwilioCard;
	approvalStatus: 'approved' | 'pending' | 'rejected' | 'unsubmitted';
	category: string;
	dateCreated: Date;
}

export interface TwilioCard {
	title: string;
	subtitle?: string;
	media?: string[];
	actions?: {
		type: 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER';
		title: string;
		url?: string;
		phone?: string;
		id?: string;
	}[];
}

export interface MetaNumber {
	phoneNumberId: string;
	wabaId: string;
	displayPhoneNumber: string;
	verifiedName: string;
	accessToken: string;
	appSecret: string;
	verifyToken: string;
	/** Callback URL; falls back to `${webhookBaseUrl}/meta-webhook`. */
	webhookUrl?: string;
	/** Also used in the WhatsApp Business app (coexistence): what is sent there is echoed. */
	coexistence?: boolean;
}

export interface MetaTemplate {
	id: string;
	wabaId: string;
	name: string;
	language: string;
	category: 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
	status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
	body: string;
	/** A text header (its own `{{1}}`…, with examples) or a media header sent by link. */
	header?:
		| { format: 'TEXT'; text: string; example?: string[] }
		| { format: 'IMAGE' | 'VIDEO' | 'DOCUMENT'; example?: string };
	footer?: string;
	/** In order; a URL button's `{{1}}` is filled when sending, `example` is a whole address. */
	buttons?: MetaTemplateButton[];
}

export type MetaTemplateButton =
	| { type: 'QUICK_REPLY'; text: string }
	| { type: 'URL'; text: string; url: string; example?: string }
	| { type: 'PHONE_NUMBER'; text: string; phone_number: string };

export type SandboxMessageStatus =
	| 'accepted'
	| 'queued'
	| 'sending'
	| 'sent'
	| 'delivered'
	| 'read'
	| 'failed'
	| 'undelivered'
	| 'received';

/** A message either direction, as the sandbox keeps it (customer phone view and status bookkeeping). */
export interface SandboxMessage {
	id: string;
	provider: ProviderName;
	direction: 'inbound' | 'outbound';
	/** Twilio account SID or Meta phone number id that owns the business side. */
	owner: string;
	/** Business address: `+E164` for Twilio, phone number id for Meta. */
	business: string;
	/** Customer phone, `+E164`. */
	customer: string;
	body: string;
	media: {
		url: string;
		contentType: string;
		/** For a sent file: what its URL answered when the provider fetched it. */
		fetched?: {
			status: number;
			contentType: string | null;
			bytes: number;
			data?: Buffer;
			error?: string;
		};
	}[];
	template?: { id: string; variables: Record<string, string> };
	status: SandboxMessageStatus;
	errorCode?: number;
	errorMessage?: string;
	statusCallbackUrl?: string;
	messagingServiceSid?: string;
	createdAt: number;
	statusHistory: SandboxMessageStatus[];
}

export interface StoredMedia {
	id: string;
	provider: ProviderName;
	owner: string;
	contentType: string;
	data: Buffer;
	sha256: string;
	/** Sandbox clock time of the upload: Meta media ids expire 7 days after it. */
	createdAt?: number;
	/** Requests for it so far (Twilio answers 404 to the first ones when the setting says). */
	fetches?: number;
}

/** One HTTP request Parley made to a provider stand-in. */
export interface RecordedRequest {
	id: number;
	provider: 'twilio' | 'meta' | 'openai' | 'media';
	method: string;
	path: string;
	query: Record<string, string | string[]>;
	headers: Record<string, string>;
	/** Parsed body: form fields (repeated names become arrays) or JSON; raw text otherwise. */
	body: unknown;
	status?: number;
	at: number;
}

/** One webhook the sandbox sent (inbound message or status), with what the receiver answered. */
export interface WebhookDelivery {
	id: number;
	provider: ProviderName;
	/** `account`: about the business account (template status updates and the like). */
	kind: 'message' | 'status' | 'account';
	url: string;
	headers: Record<string, string>;
	body: string;
	/** Form fields for Twilio, parsed JSON for Meta. */
	payload: unknown;
	responseStatus?: number;
	responseBody?: string;
	error?: string;
	at: number;
}

export type OpenAiFailureKind = 'rate_limit' | 'timeout' | 'invalid_output' | 'server_error';

export interface SandboxSettings {
	/** Delay before each status callback, in ms (tests use a few ms). */
	statusDelayMs: number;
	/** The customer reads what they receive (a `read` status follows `delivered`). */
	autoRead: boolean;
	/** Meta reports a send outside the window as a failed status webhook (as Meta does) or as a 400 answer. */
	metaWindowError: 'status' | 'response';
	/** Length of the customer service window, ms. */
	windowMs: number;
	/** How long a `timeout` OpenAI failure holds the request before giving up, ms. */
	openAiHangMs: number;
	/** Twilio answers 404 to this many first requests for a new media file (its CDN lags the webhook). */
	twilioMediaNotFoundFirst: number;
	/** Meta answers this many next sends with HTTP 429, error 130429 (throughput), counting down. */
	metaThrottledSends: number;
	/** Meta refuses `POST /{waba}/subscribed_apps` (error 200, permissions). */
	metaRefuseAppSubscription: boolean;
}

export interface OpenAiState {
	apiKeys: Set<string>;
	failure?: { kind: OpenAiFailureKind; remaining: number | null };
}

export interface SandboxState {
	settings: SandboxSettings;
	twilioAccounts: Map<string, TwilioAccount>;
	twilioNumbers: Map<string, TwilioNumber>;
	twilioTemplates: Map<string, TwilioTemplate>;
	metaNumbers: Map<string, MetaNumber>;
	metaTemplates: Map<string, MetaTemplate>;
	messages: Map<string, SandboxMessage>;
	media: Map<string, StoredMedia>;
	/** Last inbound message time per `${provider}|${business}|${customer}`. */
	lastInbound: Map<string, number>;
	/** Customers that cannot be reached (failed 63003 / 131026). */
	unreachable: Set<string>;
	/** Twilio sends to these customers fail with this code and channel message (63032, say). */
	twilioDeliveryFailures: Map<string, { code: number; message: string }>;
	/** Business-scoped user ids handed out, to the customer phone they stand for. */
	userIds: Map<string, string>;
	/**
	 * Apps subscribed to each WhatsApp Business Account (WABA id → app ids): Meta sends a WABA's
	 * webhooks only to its subscribed apps.
	 */
	metaSubscribedApps: Map<string, Set<string>>;
	openai: OpenAiState;
	requests: RecordedRequest[];
	deliveries: WebhookDelivery[];
	clockOffsetMs: number;
}

export const DEFAULT_SETTINGS: SandboxSettings = {
	statusDelayMs: 400,
	autoRead: true,
	metaWindowError: 'status',
	windowMs: 24 * 60 * 60 * 1000,
	openAiHangMs: 60_000,
	twilioMediaNotFoundFirst: 0,
	metaThrottledSends: 0,
	metaRefuseAppSubscription: false
};

/** A Twilio-style SID: two letters and 32 hex digits. */
export function twilioSid(prefix: string): string {
	return prefix + randomBytes(16).toString('hex');
}

/** A Meta-style message id. */
export function wamid(): string {
	return (
		'wamid.' +
		Buffer.from('sandbox' + randomBytes(18).toString('hex'))
			.toString('base64')
			.replace(/=+$/, '')
	);
}

/** A Graph-style numeric object id. */
export function graphId(): string {
	return String(1_000_000_000_000_000n + BigInt('0x' + randomBytes(6).toString('hex')));
}

/**
 * The customer's business-scoped user id as one business sees it (`US.` and 20 digits): stable for
 * the pair, different for another business, as WhatsApp's are.
 */
export function businessScopedUserId(
	state: SandboxState,
	customer: string,
	business: string
): string {
	const digest = createHash('sha256').update(`${customer}|${business}`).digest();
	const digits = [...digest.subarray(0, 20)].map((byte) => byte % 10).join('');
	const id = `US.${digits.replace(/^0/, '1')}`;
	state.userIds.set(id, customer);
	return id;
}

/** The Graph id of the app a number's app secret belongs to: the same secret, the same app. */
export function metaAppId(appSecret: string): string {
	const digest = createHash('sha256').update(`app|${appSecret}`).digest();
	return String(1_000_000_000_000_000n + (digest.readBigUInt64BE(0) % 1_000_000_000_000_000n));
}

/** Whether Meta would send a number's webhooks: its app is subscribed to its business account. */
export function metaAppSubscribed(state: SandboxState, number: MetaNumber): boolean {
	return state.metaSubscribedApps.get(number.wabaId)?.has(metaAppId(number.appSecret)) ?? false;
}

/** The window key for one business address and one customer. */
export function windowKey(provider: ProviderName, business: string, customer: string): string {
	return `${provider}|${business}|${customer}`;
}

/** A fresh state holding the demo accounts of DEMO_CREDENTIALS. */
export function createSeededState(settings: Partial<SandboxSettings> = {}): SandboxState {
	const state: SandboxState = {
		settings: { ...DEFAULT_SETTINGS, ...settings },
		twilioAccounts: new Map(),
		twilioNumbers: new Map(),
		twilioTemplates: new Map(),
		metaNumbers: new Map(),
		metaTemplates: new Map(),
		messages: new Map(),
		media: new Map(),
		lastInbound: new Map(),
		unreachable: new Set(),
		twilioDeliveryFailures: new Map(),
		userIds: new Map(),
		metaSubscribedApps: new Map(),
		openai: { apiKeys: new Set([DEMO_CREDENTIALS.openai.apiKey]) },
		requests: [],
		deliveries: [],
		clockOffsetMs: 0
	};
	const demo = DEMO_CREDENTIALS;
	state.twilioAccounts.set(demo.twilio.accountSid, {
		sid: demo.twilio.accountSid,
		authToken: demo.twilio.authToken,
		friendlyName: demo.twilio.friendlyName,
		status: 'active',
		dateCreated: new Date('2025-01-01T00:00:00Z')
	});
	demo.twilio.numbers.forEach((number, index) => {
		state.twilioNumbers.set(number.phoneNumber, {
			sid: 'PN' + String(index + 1).padStart(32, '0'),
			accountSid: demo.twilio.accountSid,
			phoneNumber: number.phoneNumber,
			friendlyName: number.friendlyName,
			whatsapp: true
		});
	});
	const templates: Omit<TwilioTemplate, 'accountSid' | 'dateCreated'>[] = [
		{
			sid: 'HX' + '1'.padStart(32, '0'),
			friendlyName: 'order_update',
			language: 'en',
			variables: { '1': 'Ana', '2': '#1042' },
			body: 'Hi {{1}}, your order {{2}} is on its way.',
			approvalStatus: 'approved',
			category: 'UTILITY'
		},
		{
			sid: 'HX' + '2'.padStart(32, '0'),
			friendlyName: 'follow_up',
			language: 'en',
			variables: { '1': 'Ana' },
			body: 'Hi {{1}}, do you still need help with your request?',
			approvalStatus: 'approved',
			category: 'UTILITY'
		}
	];
	for (const template of templates) {
		state.twilioTemplates.set(template.sid, {
			...template,
			accountSid: demo.twilio.accountSid,
			dateCreated: new Date('2025-01-01T00:00:00Z')
		});
	}
	state.metaNumbers.set(demo.meta.phoneNumberId, { ...demo.meta });
	// The demo app is subscribed to the demo business account; a new account starts with none.
	state.metaSubscribedApps.set(demo.meta.wabaId, new Set([metaAppId(demo.meta.appSecret)]));
	for (const template of [
		{ name: 'order_update', body: 'Hi {{1}}, your order {{2}} is on its way.' },
		{ name: 'follow_up', body: 'Hi {{1}}, do you still need help with your request?' }
	]) {
		const id = graphId();
		state.metaTemplates.set(id, {
			id,
			wabaId: demo.meta.wabaId,
			name: template.name,
			language: 'en_US',
			category: 'UTILITY',
			status: 'APPROVED',
			body: template.body
		});
	}
	return state;
}

/** Placeholders `{{1}}`, `{{2}}`… a template body expects. */
export function templatePlaceholders(body: string): string[] {
	return [...new Set([...body.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1]))];
}

/** Fills `{{n}}` placeholders. */
export function renderTemplate(body: string, variables: Record<string, string>): string {
	return body.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => variables[name] ?? whole);
}

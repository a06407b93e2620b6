/**
 * Twilio adapter, through the official `twilio` SDK over Parley's fetch http client
 * (twilio-fetch-http.ts). With TWILIO_API_URL set (dev and tests) its requests go to the provider
 * sandbox instead of *.twilio.com.
 */
import twilio from 'npm:twilio@6';
import { z } from 'npm:zod@4';
import { HttpError } from '../http.ts';
import { isCredentialsError, providerErrorSentence } from '../pipeline-errors.ts';
import { createTwilioFetchHttpClient, rewriteTwilioUrl } from './twilio-fetch-http.ts';
import {
	templatePlaceholders,
	type MediaHeaderFormat,
	type TemplateButton
} from '../template-text.ts';
import {
	businessScopedUserId,
	emptyDelivery,
	ProviderSendError,
	type InboundMessage,
	type InboundMessageType,
	type ParsedDelivery,
	type ProviderNumber,
	type ProviderTemplate,
	type Recipient,
	type StatusUpdate,
	type VerifiedCredentials,
	type WhatsAppMessagingAdapter,
	type WhatsAppProviderAdapter
} from './provider.ts';

export interface TwilioCredentials {
	accountSid: string;
	authToken: string;
}

/** The SDK's error shape (RestException), matched by its fields so no internal path is imported. */
interface TwilioRestError {
	status: number;
	code?: number;
	message: string;
}

function isTwilioRestError(error: unknown): error is TwilioRestError {
	return (
		typeof error === 'object' &&
		error !== null &&
		typeof (error as { status?: unknown }).status === 'number'
	);
}

/** Twilio's answer as an HttpError a person can act on (20003 → check the SID and token). */
export function twilioFailure(error: unknown): HttpError {
	if (isTwilioRestError(error)) {
		if (error.code === 20003 || error.status === 401) {
			return new HttpError(
				400,
				'twilio_credentials_rejected',
				`Twilio rejected these credentials (error ${error.code ?? 20003}). Check the Account SID and Auth Token.`
			);
		}
		if (error.status === 429 || error.code === 20429) {
			return new HttpError(
				502,
				'provider_rate_limited',
				'Twilio is receiving too many requests from this account right now. Try again in a minute.'
			);
		}
		if (error.status >= 500) {
			return new HttpError(
				502,
				'provider_unavailable',
				`Twilio is not answering properly right now (HTTP ${error.status}). Try again in a few minutes.`
			);
		}
		return new HttpError(
			400,
			'twilio_error',
			`Twilio refused the request${error.code ? ` (error ${error.code})` : ''}: ${error.message}`
		);
	}
	return new HttpError(
		502,
		'provider_unavailable',
		'Parley could not reach Twilio. Try again in a few minutes.'
	);
}

/**
 * Twilio's shared WhatsApp Sandbox number. Every Twilio account can use it and none lists it (as a
 * sender or an incoming number), so ownership cannot be checked; Twilio keeps each account's
 * sandbox apart (deliveries carry the account's SID and signature), and so does Parley.
 */
export const twilioSandboxAddress = 'whatsapp:+14155238886';

/** The Twilio adapter: the common one, plus the ownership check before connecting an address. */
export interface TwilioAdapter extends WhatsAppProviderAdapter<TwilioCredentials> {
	/**
	 * Whether the account owns `address` (`whatsapp:+E164`): one of its WhatsApp senders, or one of
	 * its incoming phone numbers. Throws an HttpError with a sentence when Twilio cannot say.
	 */
	ownsAddress(credentials: TwilioCredentials, address: string): Promise<boolean>;
}

/** A Twilio SDK client; `apiUrl` sends its requests to the sandbox. */
function twilioClient({ accountSid, authToken }: TwilioCredentials, apiUrl: string | undefined) {
	return twilio(accountSid, authToken, {
		// The SDK types httpClient as its own RequestClient class; it only ever calls request().
		httpClient: createTwilioFetchHttpClient(apiUrl) as unknown as undefined,
		autoRetry: false
	});
}

/** Creates the Twilio adapter; `apiUrl` points the SDK at the sandbox instead of *.twilio.com. */
export function createTwilioAdapter(options: { apiUrl?: string } = {}): TwilioAdapter {
	const clientFor = (credentials: TwilioCredentials) => twilioClient(credentials, options.apiUrl);

	return {
		provider: 'twilio',

		async verifyCredentials(credentials): Promise<VerifiedCredentials> {
			let account;
			try {
				account = await clientFor(credentials).api.v2010.accounts(credentials.accountSid).fetch();
			} catch (error) {
				throw twilioFailure(error);
			}
			if (account.status !== 'active') {
				throw new HttpError(
					400,
					'twilio_account_inactive',
					`This Twilio account is ${account.status}. Reactivate it in the Twilio Console or use another account.`
				);
			}
			return { accountName: account.friendlyName };
		},

		async listNumbers(credentials): Promise<ProviderNumber[]> {
			try {
				const senders = await clientFor(credentials).messaging.v2.channelsSenders.list({
					channel: 'whatsapp',
					limit: 1000
				});
				return senders
					.filter((sender) => sender.senderId?.startsWith('whatsapp:+'))
					.map((sender) => ({
						address: sender.senderId,
						phoneNumber: sender.senderId.slice('whatsapp:'.length),
						friendlyName: (sender.profile as { name?: string } | null)?.name ?? '',
						status: String(sender.status ?? '')
					}));
			} catch (error) {
				throw twilioFailure(error);
			}
		},

		async ownsAddress(credentials, address) {
			const phoneNumber = address.replace(/^whatsapp:/, '');
			try {
				const client = clientFor(credentials);
				const senders = await client.messaging.v2.channelsSenders.list({
					channel: 'whatsapp',
					limit: 1000
				});
				if (senders.some((sender) => sender.senderId === address)) return true;
				const incoming = await client.api.v2010
					.accounts(credentials.accountSid)
					.incomingPhoneNumbers.list({ phoneNumber, limit: 20 });
				return incoming.some((number) => number.phoneNumber === phoneNumber);
			} catch (error) {
				throw twilioFailure(error);
			}
		},

		async listTemplates(credentials) {
			try {
				const contents = await clientFor(credentials).content.v1.contentAndApprovals.list({
					pageSize: 500,
					limit: 2000
				});
				return contents.flatMap((content) => {
					const template = templateFromContent(content);
					return template ? [template] : [];
				});
			} catch (error) {
				throw twilioFailure(error);
			}
		}
	};
}

/** Checks `X-Twilio-Signature` with the SDK, over the exact public URL Twilio requested. */
export function validTwilioSignature(
	authToken: string,
	signature: string,
	url: string,
	params: Record<string, string>
): boolean {
	return twilio.validateRequest(authToken, signature, url, params);
}

/** What a Twilio webhook is about, read before the signature check to find the number. */
export interface TwilioDeliveryAddress {
	kind: 'message' | 'status';
	accountSid: string;
	/** `whatsapp:+E164` of the business number: `To` of an inbound message, `From` of a status. */
	businessAddress: string;
}

const whatsappAddress = z
	.string()
	.regex(/^whatsapp:\+[1-9]\d{6,14}$/, 'must be a WhatsApp address like whatsapp:+14155238886');

// Only the business side must be a number Parley can look up; the customer's side is read per
// item, so a sender Parley cannot read is kept with its reason instead of refusing the delivery.
const twilioEnvelope = z.object({
	AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'AccountSid is not a Twilio account SID.'),
	MessageSid: z.string().min(1, 'MessageSid is missing.'),
	From: z.string(),
	To: z.string(),
	MessageStatus: z.string().optional()
});

function notTwilioWebhook(path: string, message: string): HttpError {
	return new HttpError(
		400,
		'invalid_webhook',
		`This is not a Twilio WhatsApp webhook: ${path || 'body'} ${message}`
	);
}

/** Reads the account and business address of a Twilio webhook, or throws a 400 with the reason. */
export function twilioDeliveryAddress(params: Record<string, string>): TwilioDeliveryAddress {
	const parsed = twilioEnvelope.safeParse(params);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw notTwilioWebhook(issue?.path.join('.') ?? '', issue?.message ?? 'is not valid.');
	}
	const kind = parsed.data.MessageStatus ? 'status' : 'message';
	const field = kind === 'status' ? 'From' : 'To';
	const business = whatsappAddress.safeParse(parsed.data[field]);
	if (!business.success) {
		throw notTwilioWebhook(field, business.error.issues[0]?.message ?? 'is not valid.');
	}
	return { kind, accountSid: parsed.data.AccountSid, businessAddress: business.data };
}

/** The customer's WhatsApp id (digits): `WaId`, or the number in `From`, when either is one. */
function customerWaId(params: Record<string, string>): string | null {
	const waId = /^[1-9]\d{6,14}$/;
	if (params.WaId && waId.test(params.WaId)) return params.WaId;
	const fromDigits = (params.From ?? '').replace(/^whatsapp:\+/, '');
	return waId.test(fromDigits) ? fromDigits : null;
}

/**
 * The customer's business-scoped user id: Twilio puts it in `From` when the phone is hidden, and
 * in `ExternalUserId` (once documented as `ExternalUserIdentifier`), with or without `whatsapp:`.
 */
function customerUserId(params: Record<string, string>): string | null {
	for (const value of [params.ExternalUserId, params.ExternalUserIdentifier, params.From]) {
		const id = (value ?? '').replace(/^whatsapp:/, '');
		if (businessScopedUserId.test(id)) return id;
	}
	return null;
}

const mediaTypes = new Set(['image', 'audio', 'video', 'document', 'sticker']);

function mediaTypeOf(contentType: string | undefined): InboundMessageType {
	if (contentType === 'image/webp') return 'sticker';
	const top = (contentType ?? '').split('/')[0];
	return top === 'image' || top === 'audio' || top === 'video' ? top : 'document';
}

const twilioStatuses: Record<string, StatusUpdate['status'] | undefined> = {
	accepted: 'queued',
	scheduled: 'queued',
	queued: 'queued',
	sending: 'queued',
	sent: 'sent',
	delivered: 'delivered',
	read: 'read',
	failed: 'failed',
	undelivered: 'failed',
	canceled: 'failed'
};

/** Parses a Twilio inbound message or status callback (form fields) into Parley's shapes. */
export function parseTwilioDelivery(params: Record<string, string>): ParsedDelivery {
	const address = twilioDeliveryAddress(params);
	if (address.kind === 'status') {
		const status = twilioStatuses[params.MessageStatus ?? ''];
		if (!status) return emptyDelivery();
		// ErrorCode and ChannelStatusMessage (the channel's own words) are documented;
		// ErrorMessage is not, so it is never read.
		const code = params.ErrorCode || null;
		return {
			messages: [],
			rejected: [],
			events: [],
			statuses: [
				{
					provider_message_id: params.MessageSid,
					status,
					error_code: status === 'failed' ? code : null,
					error_message:
						status === 'failed'
							? providerErrorSentence('twilio', code, params.ChannelStatusMessage)
							: null,
					occurred_at: new Date().toISOString()
				}
			]
		};
	}
	const waId = customerWaId(params);
	const userId = customerUserId(params);
	if (!waId && !userId) {
		return {
			...emptyDelivery(),
			rejected: [
				{
					kind: 'message',
					provider_message_id: params.MessageSid,
					reason: `Twilio named the sender ${JSON.stringify(params.From)} (WaId ${JSON.stringify(params.WaId ?? '')}), which is not a WhatsApp phone number Parley can reply to.`,
					item: params
				}
			]
		};
	}
	const numMedia = Number.parseInt(params.NumMedia ?? '0', 10) || 0;
	const declared = (params.MessageType ?? '').toLowerCase();
	const message: InboundMessage = {
		provider_message_id: params.MessageSid,
		wa_id: waId,
		user_id: userId,
		parent_user_id: (params.ParentExternalUserId ?? '').replace(/^whatsapp:/, '') || null,
		username: params.ProfileUsername || params.Username || null,
		profile_name: params.ProfileName || null,
		type: 'text',
		body: params.Body || null,
		reply_to_provider_id: params.OriginalRepliedMessageSid || null
	};
	if (numMedia > 0 && params.MediaUrl0) {
		message.type = mediaTypes.has(declared)
			? (declared as InboundMessageType)
			: mediaTypeOf(params.MediaContentType0);
		message.media = {
			provider_ref: params.MediaUrl0,
			mime_type: params.MediaContentType0 || null,
			caption: params.Body || null
		};
		if (numMedia > 1) {
			message.content = {
				media: Array.from({ length: numMedia }, (_, index) => ({
					provider_ref: params[`MediaUrl${index}`],
					mime_type: params[`MediaContentType${index}`] ?? null
				}))
			};
		}
	} else if (declared === 'location' || (params.Latitude && params.Longitude)) {
		message.type = 'location';
		message.location = {
			latitude: Number(params.Latitude),
			longitude: Number(params.Longitude),
			name: params.Label || null,
			address: params.Address || null
		};
	} else if (declared === 'button' || declared === 'interactive') {
		message.type = declared;
		message.body = params.ButtonText || params.Body || null;
		message.content = { text: params.ButtonText ?? null, payload: params.ButtonPayload ?? null };
	} else if (declared && declared !== 'text' && !params.Body) {
		message.type = 'unsupported';
	}
	return { ...emptyDelivery(), messages: [message] };
}

export interface TwilioSendCredentials extends TwilioCredentials {
	/** The number's `whatsapp:+E164` address. */
	from: string;
}

/** A Twilio error as a ProviderSendError with a sentence. */
function twilioSendFailure(error: unknown): ProviderSendError {
	if (isTwilioRestError(error)) {
		const code = error.code
			? String(error.code)
			: error.status === 401
				? '20003'
				: String(error.status);
		return new ProviderSendError(
			code,
			providerErrorSentence('twilio', code, error.message),
			isCredentialsError(code),
			error.status >= 500
		);
	}
	return new ProviderSendError(
		'unreachable',
		'Parley could not reach Twilio. Try sending again in a few minutes.',
		false,
		true
	);
}

/**
 * Twilio's `To` for a customer: their phone. Whether Twilio takes `whatsapp:<user id>` is not
 * confirmed (one real report says error 21211), so a username customer without a known phone is
 * refused in words before anything is sent.
 */
function twilioRecipient(to: Recipient): string {
	if (to.waId) return `whatsapp:+${to.waId}`;
	throw new ProviderSendError(
		'no_phone',
		'This customer writes from a WhatsApp username and has not shared a phone number; Twilio can only reply to a phone number. Ask them to share their number, or reply from a Meta number.',
		false
	);
}

function isRedirect(status: number): boolean {
	return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Sending through Twilio (SDK `messages.create`) and downloading media with Basic auth. */
export function createTwilioMessagingAdapter(
	options: { apiUrl?: string; fetch?: typeof fetch } = {}
): WhatsAppMessagingAdapter<TwilioSendCredentials> {
	const fetchImpl = options.fetch ?? fetch;
	return {
		provider: 'twilio',

		async send(credentials, message) {
			const to = twilioRecipient(message.to);
			try {
				const sent = await twilioClient(credentials, options.apiUrl).messages.create({
					from: credentials.from,
					to,
					...(message.template
						? {
								contentSid: message.template.contentSid,
								...(message.template.variables
									? { contentVariables: JSON.stringify(message.template.variables) }
									: {})
							}
						: message.media
							? {
									// Twilio fetches the file and checks its Content-Type; the caption rides in Body.
									mediaUrl: [message.media.url],
									...(message.text ? { body: message.text } : {})
								}
							: { body: message.text }),
					...(message.statusCallbackUrl ? { statusCallback: message.statusCallbackUrl } : {})
				});
				return { providerMessageId: sent.sid, status: sent.status === 'sent' ? 'sent' : 'queued' };
			} catch (error) {
				throw twilioSendFailure(error);
			}
		},

		// Twilio's Typing Indicators API (public beta) marks the referenced inbound message read
		// (WhatsApp's blue ticks) and shows "typing…" to the customer for a moment.
		async markRead(credentials, providerMessageId) {
			try {
				await twilioClient(credentials, options.apiUrl).messaging.v2.typingIndicator.create({
					channel: 'whatsapp',
					messageId: providerMessageId
				});
			} catch (error) {
				throw twilioSendFailure(error);
			}
		},

		async fetchMedia(credentials, providerRef) {
			const target = new URL(
				options.apiUrl ? rewriteTwilioUrl(providerRef, options.apiUrl) : providerRef
			);
			const allowed =
				target.hostname === 'twilio.com' ||
				target.hostname.endsWith('.twilio.com') ||
				(options.apiUrl !== undefined && target.origin === new URL(options.apiUrl).origin);
			if (!allowed) {
				throw new ProviderSendError('media_url', 'This media is not stored at Twilio.', false);
			}
			let response: Response;
			let fromCdn = false;
			try {
				// Twilio answers with a redirect to a signed CDN URL: followed here, without the
				// account's credentials, which the CDN must never see (and refuses).
				response = await fetchImpl(target, {
					headers: {
						Authorization: `Basic ${btoa(`${credentials.accountSid}:${credentials.authToken}`)}`
					},
					redirect: 'manual',
					signal: AbortSignal.timeout(30_000)
				});
				for (let hops = 0; isRedirect(response.status) && hops < 5; hops++) {
					fromCdn = true;
					const location = response.headers.get('Location');
					await response.body?.cancel();
					if (!location) break;
					response = await fetchImpl(new URL(location, response.url || target), {
						redirect: 'manual',
						signal: AbortSignal.timeout(30_000)
					});
				}
			} catch {
				throw new ProviderSendError(
					'unreachable',
					'Parley could not reach Twilio to fetch this media. Try again in a few minutes.',
					false,
					true
				);
			}
			if (!response.ok) {
				await response.body?.cancel();
				// Only Twilio's own 401 is about the account's credentials, never the CDN's refusal.
				const credentialsRejected = response.status === 401 && !fromCdn;
				const code = credentialsRejected ? '20003' : String(response.status);
				throw new ProviderSendError(
					code,
					credentialsRejected
						? providerErrorSentence('twilio', code)
						: 'Twilio no longer has this media file.',
					credentialsRejected,
					response.status >= 500
				);
			}
			return {
				body: response.body,
				contentType: response.headers.get('Content-Type') ?? 'application/octet-stream'
			};
		}
	};
}

interface ContentAction {
	type?: string;
	title?: string;
	id?: string;
	url?: string;
	phone?: string;
	code?: string;
}

interface ContentType {
	body?: string;
	title?: string;
	subtitle?: string;
	footer?: string;
	header_text?: string;
	media?: string[];
	actions?: ContentAction[];
}

/** The Content types that can go out on WhatsApp, the richest first. */
const contentTypePreference = [
	'whatsapp/card',
	'twilio/card',
	'twilio/call-to-action',
	'twilio/quick-reply',
	'twilio/media',
	'twilio/text'
];

/** What a media URL most likely is, by its extension; images are the common case. */
function mediaFormat(url: string): MediaHeaderFormat {
	const path = url.split(/[?#]/)[0].toLowerCase();
	if (/\.(mp4|3gp|mov)$/.test(path)) return 'video';
	if (/\.(pdf|docx?|xlsx?|pptx?|txt|csv)$/.test(path)) return 'document';
	return 'image';
}

/** A Content action as a stored button; quick replies without a type are QUICK_REPLY. */
function buttonFromAction(action: ContentAction, quickReplies: boolean): TemplateButton {
	const type = (action.type ?? (quickReplies ? 'QUICK_REPLY' : '')).toUpperCase();
	const text = action.title ?? '';
	if (type === 'URL') return { type: 'url', text, url: action.url ?? null };
	if (type === 'PHONE_NUMBER' || type === 'PHONE')
		return { type: 'phone_number', text, phone_number: action.phone ?? null };
	if (type === 'QUICK_REPLY') return { type: 'quick_reply', text };
	if (type === 'COPY_CODE') return { type: 'copy_code', text: text || 'Copy code' };
	return { type: 'other', text };
}

/**
 * A Content API entry as stored, from its richest WhatsApp type: a card's title is the body and its
 * subtitle the footer (as WhatsApp shows them), media makes a media header, actions are buttons.
 * Every placeholder, wherever it sits, is one of the template's variables (Twilio numbers them as
 * one), with the Content's sample values.
 */
function templateFromContent(content: {
	sid: string;
	friendlyName: string;
	language: string;
	variables: Record<string, unknown> | null;
	types: Record<string, unknown> | null;
	approvalRequests: Record<string, unknown> | null;
}): ProviderTemplate | undefined {
	const types = (content.types ?? {}) as Record<string, ContentType | null>;
	const name =
		contentTypePreference.find((candidate) => types[candidate]) ??
		Object.keys(types).find((candidate) => typeof types[candidate]?.body === 'string');
	const type = name ? types[name] : undefined;
	if (!name || !type) return undefined;
	const body = (name === 'twilio/card' ? type.title || type.subtitle : type.body) ?? '';
	if (!body) return undefined;
	const footer =
		(name === 'twilio/card' ? (type.title ? type.subtitle : undefined) : type.footer) || null;
	const media = type.media?.[0];
	const header = name === 'whatsapp/card' ? type.header_text || null : null;
	const buttons = (type.actions ?? []).map((action) =>
		buttonFromAction(action, name === 'twilio/quick-reply')
	);
	// The approval is flat on ContentAndApprovals; the ApprovalRequests resource nests it under `whatsapp`.
	const approval = (content.approvalRequests?.whatsapp ?? content.approvalRequests ?? {}) as {
		status?: string;
		category?: string;
		rejection_reason?: string;
	};
	const samples = content.variables ?? {};
	const everyText = [
		header ?? '',
		media ?? '',
		body,
		footer ?? '',
		...buttons.map((button) => `${button.text} ${button.url ?? ''}`)
	].join('\n');
	return {
		provider_template_id: content.sid,
		name: content.friendlyName,
		language: content.language,
		category: approval.category ?? null,
		// Content never submitted to WhatsApp has no approval at all.
		status: (approval.status || 'unsubmitted').toLowerCase(),
		rejection_reason: approval.rejection_reason || null,
		header,
		header_format: media ? mediaFormat(media) : header ? 'text' : null,
		header_variables: [],
		body,
		footer,
		variables: templatePlaceholders(everyText).map((key) => ({
			key,
			example: typeof samples[key] === 'string' ? (samples[key] as string) : null
		})),
		buttons
	};
}

/**
 * Twilio's webhooks: the signature check (the SDK's), which number a delivery is for, and the
 * parser that turns an inbound message or a status callback into what ingest stores.
 */
import twilio from 'twilio';
import { z } from 'zod';
import { HttpError } from '../http.ts';
import { providerErrorSentence } from '../pipeline-errors.ts';
import {
	businessScopedUserId,
	emptyDelivery,
	type InboundMessage,
	type InboundMessageType,
	type ParsedDelivery,
	type StatusUpdate
} from './provider.ts';

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

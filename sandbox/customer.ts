/**
 * Playing a customer: an inbound WhatsApp message becomes the webhook Twilio or Meta would send to
 * the connected number, signed as that provider signs it. Also serves the phone page at `/`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SandboxCore } from './core.ts';
import { bodyOf, parseBodies, type SandboxEnv } from './http.ts';
import {
	businessScopedUserId,
	graphId,
	twilioSid,
	wamid,
	windowKey,
	type SandboxMessage,
	type WebhookDelivery
} from './state.ts';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number like +5215512345678');

export const customerMessageSchema = z
	.object({
		provider: z.enum(['twilio', 'meta']),
		/** Twilio: `+E164` or `whatsapp:+E164` of the business number. Meta: phone number id or display number. */
		to: z.string().min(1),
		from: e164,
		profileName: z.string().default('Sandbox customer'),
		/** The customer's WhatsApp username (`@name`), if they adopted one. */
		username: z
			.string()
			.regex(/^@[\w.]{3,35}$/, 'must be a WhatsApp username like @sandbox.customer')
			.optional(),
		/** A username customer who hides their phone from this business: only their user id shows. */
		hidePhone: z.boolean().default(false),
		text: z.string().optional(),
		media: z
			.object({
				contentType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/),
				/** File bytes; a small placeholder is used when absent. */
				dataBase64: z.string().optional(),
				filename: z.string().optional()
			})
			.optional(),
		location: z
			.object({
				latitude: z.number(),
				longitude: z.number(),
				name: z.string().optional(),
				address: z.string().optional()
			})
			.optional(),
		button: z.object({ text: z.string(), payload: z.string() }).optional(),
		/** Id of an earlier business message this one replies to. */
		replyTo: z.string().optional(),
		/** A reaction to an earlier message by its provider id; an empty emoji takes it back. */
		reaction: z.object({ messageId: z.string().min(1), emoji: z.string() }).optional()
	})
	.refine(
		(value) => value.text || value.media || value.location || value.button || value.reaction,
		{ message: 'Give the message a text, media, a location, a button reply or a reaction.' }
	)
	// Meta delivers reactions as messages of type `reaction`; the sandbox plays them there only.
	.refine((value) => !value.reaction || value.provider === 'meta', {
		message: 'The sandbox plays reactions on Meta numbers only.',
		path: ['reaction']
	})
	.refine((value) => !value.hidePhone || value.username, {
		message: 'Only a customer with a username can hide their phone.',
		path: ['hidePhone']
	});

export type CustomerMessage = z.input<typeof customerMessageSchema>;

export interface CustomerMessageResult {
	message: SandboxMessage;
	delivery: WebhookDelivery;
}

/** Thrown when a customer message cannot be sent; the message is a sentence for the page. */
export class CustomerMessageError extends Error {
	constructor(
		message: string,
		public status: 400 | 404 | 409
	) {
		super(message);
	}
}

// A 1×1 transparent PNG, so an image without data still opens.
const PLACEHOLDER_PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
	'base64'
);

function mediaKind(contentType: string): 'image' | 'audio' | 'video' | 'document' | 'sticker' {
	if (contentType === 'image/webp') return 'sticker';
	const top = contentType.split('/')[0];
	return top === 'image' || top === 'audio' || top === 'video' ? top : 'document';
}

/** Sends one customer message as an inbound webhook and returns what was delivered. */
export async function sendCustomerMessage(
	core: SandboxCore,
	input: CustomerMessage
): Promise<CustomerMessageResult> {
	const parsed = customerMessageSchema.safeParse(input);
	if (!parsed.success) {
		throw new CustomerMessageError(
			parsed.error.issues
				.map((issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`)
				.join('; '),
			400
		);
	}
	const value = parsed.data;
	return value.provider === 'twilio'
		? sendTwilioInbound(core, value)
		: sendMetaInbound(core, value);
}

type ParsedCustomerMessage = z.output<typeof customerMessageSchema>;

function storeMedia(
	core: SandboxCore,
	provider: 'twilio' | 'meta',
	owner: string,
	id: string,
	media: NonNullable<ParsedCustomerMessage['media']>
) {
	const data = media.dataBase64
		? Buffer.from(media.dataBase64, 'base64')
		: media.contentType.startsWith('image/')
			? PLACEHOLDER_PNG
			: Buffer.from('Sandbox media file.\n');
	const stored = {
		id,
		provider,
		owner,
		contentType: media.contentType,
		data,
		sha256: createHash('sha256').update(data).digest('hex'),
		createdAt: core.now()
	};
	core.state.media.set(id, stored);
	return stored;
}

function remember(core: SandboxCore, message: SandboxMessage): void {
	core.state.messages.set(message.id, message);
	core.state.lastInbound.set(
		windowKey(message.provider, message.business, message.customer),
		message.createdAt
	);
}

async function sendTwilioInbound(
	core: SandboxCore,
	value: ParsedCustomerMessage
): Promise<CustomerMessageResult> {
	const { state } = core;
	const to = value.to.replace(/^whatsapp:/, '');
	const number = state.twilioNumbers.get(to);
	if (!number || !number.whatsapp)
		throw new CustomerMessageError(`No Twilio WhatsApp number ${to} exists in the sandbox.`, 404);
	const account = state.twilioAccounts.get(number.accountSid);
	const url = number.webhookUrl ?? core.defaultWebhookUrl('twilio');
	if (!account || !url) {
		throw new CustomerMessageError(
			`The number ${to} has no webhook URL yet; set one in the sandbox before sending.`,
			409
		);
	}
	const messageSid = twilioSid(value.media ? 'MM' : 'SM');
	const message: SandboxMessage = {
		id: messageSid,
		provider: 'twilio',
		direction: 'inbound',
		owner: account.sid,
		business: number.phoneNumber,
		customer: value.from,
		body: value.text ?? value.button?.text ?? '',
		media: [],
		status: 'received',
		createdAt: core.now(),
		statusHistory: ['received']
	};
	// A username customer: Twilio names their user id in ExternalUserId, and in From too when the
	// phone is hidden (then WaId is left out).
	const userId = value.username ? businessScopedUserId(state, value.from, account.sid) : undefined;
	const params: Record<string, string> = {
		SmsMessageSid: messageSid,
		NumMedia: '0',
		ProfileName: value.profileName,
		MessageType: 'text',
		SmsSid: messageSid,
		...(value.hidePhone ? {} : { WaId: value.from.slice(1) }),
		SmsStatus: 'received',
		Body: message.body,
		To: `whatsapp:${number.phoneNumber}`,
		NumSegments: '1',
		ReferralNumMedia: '0',
		MessageSid: messageSid,
		AccountSid: account.sid,
		From: `whatsapp:${value.hidePhone ? userId : value.from}`,
		...(userId ? { ExternalUserId: `whatsapp:${userId}` } : {}),
		ApiVersion: '2010-04-01'
	};
	if (number.messagingServiceSid) params.MessagingServiceSid = number.messagingServiceSid;
	if (value.media) {
		const stored = storeMedia(core, 'twilio', account.sid, twilioSid('ME'), value.media);
		const mediaUrl = `${core.url}/2010-04-01/Accounts/${account.sid}/Messages/${messageSid}/Media/${stored.id}`;
		message.media.push({ url: mediaUrl, contentType: stored.contentType });
		Object.assign(params, {
			NumMedia: '1',
			MediaUrl0: mediaUrl,
			MediaContentType0: stored.contentType,
			MessageType: mediaKind(stored.contentType)
		});
	}
	if (value.location) {
		Object.assign(params, {
			MessageType: 'location',
			Latitude: String(value.location.latitude),
			Longitude: String(value.location.longitude),
			...(value.location.address ? { Address: value.location.address } : {}),
			...(value.location.name ? { Label: value.location.name } : {})
		});
	}
	if (value.button)
		Object.assign(params, {
			MessageType: 'button',
			ButtonText: value.button.text,
			ButtonPayload: value.button.payload
		});
	if (value.replyTo) {
		params.OriginalRepliedMessageSid = value.replyTo;
		params.OriginalRepliedMessageSender = `whatsapp:${number.phoneNumber}`;
	}
	remember(core, message);
	const delivery = await core.deliverTwilio('message', url, account.authToken, params);
	return { message, delivery };
}

async function sendMetaInbound(
	core: SandboxCore,
	value: ParsedCustomerMessage
): Promise<CustomerMessageResult> {
	const { state } = core;
	const digits = value.to.replace(/\D/g, '');
	const number =
		state.metaNumbers.get(value.to) ??
		[...state.metaNumbers.values()].find(
			(candidate) => candidate.displayPhoneNumber.replace(/\D/g, '') === digits
		);
	if (!number)
		throw new CustomerMessageError(`No Meta phone number ${value.to} exists in the sandbox.`, 404);
	const url = number.webhookUrl ?? core.defaultWebhookUrl('meta');
	if (!url)
		throw new CustomerMessageError(
			`The number ${value.to} has no callback URL yet; set one in the sandbox before sending.`,
			409
		);

	const id = wamid();
	const from = value.from.slice(1);
	const timestamp = String(Math.floor(core.now() / 1000));
	// Meta names every sender by user id now; the phone (`from`, `wa_id`) only when it may be shared.
	const userId = businessScopedUserId(state, value.from, number.phoneNumberId);
	const entry: Record<string, unknown> = {
		...(value.hidePhone ? {} : { from }),
		from_user_id: userId,
		id,
		timestamp,
		type: 'text'
	};
	const message: SandboxMessage = {
		id,
		provider: 'meta',
		direction: 'inbound',
		owner: number.phoneNumberId,
		business: number.phoneNumberId,
		customer: value.from,
		body: value.text ?? value.button?.text ?? value.reaction?.emoji ?? '',
		media: [],
		status: 'received',
		createdAt: core.now(),
		statusHistory: ['received']
	};
	if (value.media) {
		const stored = storeMedia(core, 'meta', number.phoneNumberId, graphId(), value.media);
		const kind = mediaKind(stored.contentType);
		message.media.push({
			url: `${core.url}/_media/meta/${stored.id}`,
			contentType: stored.contentType
		});
		entry.type = kind;
		entry[kind] = {
			id: stored.id,
			mime_type: stored.contentType,
			sha256: stored.sha256,
			...(value.text && kind !== 'audio' && kind !== 'sticker' ? { caption: value.text } : {}),
			...(kind === 'document' ? { filename: value.media.filename ?? 'file' } : {})
		};
	} else if (value.location) {
		entry.type = 'location';
		entry.location = value.location;
	} else if (value.button) {
		entry.type = 'button';
		entry.button = { text: value.button.text, payload: value.button.payload };
	} else if (value.reaction) {
		entry.type = 'reaction';
		entry.reaction = {
			message_id: value.reaction.messageId,
			...(value.reaction.emoji ? { emoji: value.reaction.emoji } : {})
		};
	} else {
		entry.text = { body: value.text ?? '' };
	}
	if (value.replyTo)
		entry.context = { from: number.displayPhoneNumber.replace(/\D/g, ''), id: value.replyTo };

	remember(core, message);
	const delivery = await core.deliverMeta('message', url, number, {
		contacts: [
			{
				profile: {
					name: value.profileName,
					...(value.username ? { username: value.username } : {})
				},
				...(value.hidePhone ? {} : { wa_id: from }),
				user_id: userId
			}
		],
		messages: [entry]
	});
	return { message, delivery };
}

/** Mounts `POST /customer/messages`, the phone page's data endpoints, and the page itself. */
export function customerRoutes(core: SandboxCore): Hono<SandboxEnv> {
	const app = new Hono<SandboxEnv>();
	app.use('*', parseBodies());

	app.post('/customer/messages', async (c) => {
		const parsed = bodyOf(c.get('body'), z.record(z.string(), z.unknown()));
		if (!parsed.ok) return c.json({ error: 'Send a JSON object describing the message.' }, 400);
		try {
			const { message, delivery } = await sendCustomerMessage(
				core,
				parsed.value as CustomerMessage
			);
			return c.json(
				{
					message,
					delivery: {
						url: delivery.url,
						status: delivery.responseStatus ?? null,
						error: delivery.error ?? null
					}
				},
				201
			);
		} catch (error) {
			if (error instanceof CustomerMessageError)
				return c.json({ error: error.message }, error.status);
			throw error;
		}
	});

	app.get('/customer/numbers', (c) =>
		c.json({
			twilio: [...core.state.twilioNumbers.values()]
				.filter((n) => n.whatsapp)
				.map((n) => ({ to: n.phoneNumber, name: n.friendlyName })),
			meta: [...core.state.metaNumbers.values()].map((n) => ({
				to: n.phoneNumberId,
				name: `${n.verifiedName} (+${n.displayPhoneNumber})`
			}))
		})
	);

	app.get('/customer/conversation', (c) => {
		const phone = c.req.query('phone') ?? '';
		const business = c.req.query('business');
		const messages = [...core.state.messages.values()]
			.filter(
				(message) => message.customer === phone && (!business || message.business === business)
			)
			.sort((a, b) => a.createdAt - b.createdAt)
			.map(({ id, provider, direction, business, body, media, status, errorCode, createdAt }) => ({
				id,
				provider,
				direction,
				business,
				body,
				media,
				status,
				errorCode: errorCode ?? null,
				createdAt
			}));
		return c.json({ messages });
	});

	app.get('/', async (c) =>
		c.html(await readFile(new URL('./phone.html', import.meta.url), 'utf8'))
	);
	return app;
}

/**
 * The webhook side of the pipeline: Twilio and Meta deliveries are size-checked, verified
 * (signature first, nothing kept when it fails), parsed item by item, and stored with one SQL call
 * per delivery, which commits before the provider hears 200. A delivery that cannot commit is
 * retried here, then kept raw with its reason, and the provider hears 5xx and delivers it again.
 */
import type { DatabaseClient } from './clients.ts';
import type { Database } from './database.ts';
import { errorResponse, HttpError, methodNotAllowed, type Handler } from './http.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { serviceClient } from './clients.ts';
import { encryptionKeyOf, openStoredSecret } from './stored-secrets.ts';
import { publicFunctionUrl, twilioConnectionOverrides } from './public-urls.ts';
import {
	databaseBusy,
	databaseFailure,
	databaseUnreachable,
	type DatabaseCallError
} from './database-errors.ts';
import { ingestResult, type IngestResult } from './delivery-results.ts';
import type { AiReplyScheduler } from './schedule-ai-reply.ts';
import { storableText, storableValue } from './provider-text.ts';
import {
	parseTwilioDelivery,
	twilioDeliveryAddress,
	validTwilioSignature
} from './providers/twilio-webhook.ts';
import {
	metaDeliveryRouting,
	parseMetaDelivery,
	validMetaSignature,
	type ParsedMetaDelivery
} from './providers/meta-webhook.ts';
import { deliveryHasItems, emptyDelivery, type ParsedDelivery } from './providers/provider.ts';
import { keepDeliveryMediaInBackground } from './media-store.ts';

/**
 * The largest delivery each provider sends, with room to spare: Meta's payloads reach about 3 MB;
 * a Twilio message is at most 1,600 characters of Body plus a few hundred bytes of fields, even
 * percent-encoded. Anything larger is refused unread.
 */
export const webhookBodyLimits = { twilio: 128 * 1024, meta: 3 * 1024 * 1024 } as const;

/**
 * The request body, kept only up to `limit` bytes; a larger one is a 413 and nothing is kept. A
 * sender that overshoots by less than the limit again is read to the end (and discarded) so it
 * hears the 413 rather than a connection cut while it writes; a larger one is cut off at once.
 */
export async function readBodyWithin(
	request: Request,
	limit: number
): Promise<Uint8Array<ArrayBuffer>> {
	const tooLarge = () =>
		new HttpError(
			413,
			'body_too_large',
			`This delivery is larger than ${Math.round(limit / 1024)} KB, more than the provider ever sends; it was not read.`
		);
	const drainLimit = 2 * limit;
	const declared = Number(request.headers.get('content-length') ?? '');
	if (Number.isFinite(declared) && declared > drainLimit) throw tooLarge();
	if (!request.body) return new Uint8Array();
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > drainLimit) {
			await reader.cancel();
			throw tooLarge();
		}
		if (size <= limit) chunks.push(value);
	}
	if (size > limit) throw tooLarge();
	const body = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		body.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return body;
}

/** Headers worth keeping for audit and replay (never credentials). */
function keptHeaders(request: Request): Record<string, string> {
	const kept: Record<string, string> = {};
	request.headers.forEach((value, name) => {
		if (!['authorization', 'apikey', 'cookie'].includes(name)) kept[name] = value;
	});
	return kept;
}

/**
 * One answer for every delivery Parley cannot verify, whether the number is unknown or the
 * signature is wrong, so nobody can probe which numbers use Parley.
 */
function signatureRefused(header: string): HttpError {
	return new HttpError(403, 'invalid_signature', `The ${header} does not match this delivery.`);
}

/** What storing a delivery needs besides the delivery itself. */
export interface IngestContext {
	config: ProviderFunctionConfig;
	service: DatabaseClient;
	/** Starts the AI reply to each new message that wants one. */
	scheduleAiReply: AiReplyScheduler;
}

/** How often a delivery is tried before the provider is asked to deliver it again. */
const ingestAttempts = 4;

/**
 * Stores one verified delivery for one number: the single SQL call of the pipeline. Deadlocks,
 * lock timeouts and lost connections are retried; when the delivery still cannot commit, the raw
 * delivery is kept with the reason in a step of its own and a 5xx is thrown so the provider
 * delivers it again.
 */
export async function ingestDelivery(
	{ config, service, scheduleAiReply }: IngestContext,
	input: {
		provider: 'twilio' | 'meta';
		numberId: string;
		request: Request;
		rawBody: string;
		delivery: ParsedDelivery;
		parseError?: string;
	}
): Promise<IngestResult> {
	const headers = keptHeaders(input.request);
	const rawBody = storableText(input.rawBody);
	let failure: DatabaseCallError = {};
	for (let attempt = 1; attempt <= ingestAttempts; attempt++) {
		const { data, error } = await service.rpc('ingest_whatsapp_delivery', {
			provider: input.provider,
			number_id: input.numberId,
			headers,
			raw_body: rawBody,
			messages: input.delivery.messages,
			statuses: input.delivery.statuses,
			rejected: input.delivery.rejected,
			parse_error: input.parseError ?? null,
			events: input.delivery.events
		});
		if (!error) {
			const result = ingestResult.parse(data);
			for (const message of result.messages) {
				if (message.inserted && message.ai_reply) await scheduleAiReply(message);
			}
			keepDeliveryMediaInBackground(
				config,
				service,
				input.numberId,
				result.messages,
				input.delivery.messages
			);
			return result;
		}
		failure = error;
		if (!databaseBusy(error) && !databaseUnreachable(error)) break;
		if (attempt < ingestAttempts) {
			await new Promise((resolve) => setTimeout(resolve, 40 * 3 ** attempt * Math.random()));
		}
	}
	const reason = `Parley could not store this delivery (database error ${failure.code || 'without a code'}: ${failure.message ?? 'no message'}); the provider was asked to deliver it again.`;
	const kept = await service.rpc('keep_unprocessed_delivery', {
		provider: input.provider,
		number_id: input.numberId,
		headers,
		raw_body: rawBody,
		error: reason
	});
	if (kept.error) console.error('could not keep an unprocessed delivery', kept.error);
	const answer = databaseFailure(failure);
	throw answer.status >= 500
		? answer
		: new HttpError(
				500,
				'ingest_failed',
				'Parley could not store this delivery and kept it to be looked at; deliver it again.'
			);
}

const emptyTwiml = () =>
	new Response('<Response></Response>', {
		status: 200,
		headers: { 'Content-Type': 'text/xml' }
	});

/** POST twilio-webhook: inbound messages and status callbacks, form-encoded and signed. */
export function createTwilioWebhookHandler(
	config: ProviderFunctionConfig,
	scheduleAiReply: AiReplyScheduler
): Handler {
	return async (request) => {
		try {
			if (request.method !== 'POST') throw methodNotAllowed(request);
			const rawBody = new TextDecoder().decode(
				await readBodyWithin(request, webhookBodyLimits.twilio)
			);
			const signature = request.headers.get('x-twilio-signature');
			if (!signature) {
				throw new HttpError(401, 'missing_signature', 'The X-Twilio-Signature header is missing.');
			}
			// Twilio signs the values as sent: the signature is checked on them, storage gets clean ones.
			const params = Object.fromEntries(new URLSearchParams(rawBody));
			const address = twilioDeliveryAddress(params);
			const service = serviceClient(config);
			const { data, error } = await service.rpc('twilio_webhook_number', {
				account_sid: address.accountSid,
				address: address.businessAddress
			});
			if (error) throw databaseFailure(error);
			const number = (data as { number_id: string; auth_token_ciphertext: string }[] | null)?.[0];
			const authToken = number
				? await openStoredSecret(
						number.auth_token_ciphertext,
						await encryptionKeyOf(config),
						'Twilio auth token'
					)
				: crypto.randomUUID();
			const url = publicFunctionUrl(config, 'twilio-webhook', request);
			// Whether Twilio signs the URL with its connection-override fragment is not documented:
			// either form proves the auth token. An unknown number is checked against a random token,
			// so it costs what a known one does.
			const signed =
				validTwilioSignature(authToken, signature, url, params) ||
				validTwilioSignature(authToken, signature, url + twilioConnectionOverrides, params);
			if (!signed || !number) {
				throw signatureRefused('X-Twilio-Signature');
			}
			let delivery = emptyDelivery();
			let parseError: string | undefined;
			try {
				delivery = parseTwilioDelivery(storableValue(params));
			} catch (failure) {
				parseError = failure instanceof Error ? failure.message : String(failure);
			}
			await ingestDelivery(
				{ config, service, scheduleAiReply },
				{
					provider: 'twilio',
					numberId: number.number_id,
					request,
					rawBody,
					delivery,
					parseError
				}
			);
			return emptyTwiml();
		} catch (error) {
			return errorResponse(error);
		}
	};
}

type MetaNumberRow = Database['public']['Functions']['meta_webhook_numbers']['Returns'][number];

/** GET meta-webhook: the subscription handshake; POST: signed deliveries. */
export function createMetaWebhookHandler(
	config: ProviderFunctionConfig,
	scheduleAiReply: AiReplyScheduler
): Handler {
	return async (request) => {
		try {
			if (request.method === 'GET') return await verifySubscription(request, config);
			if (request.method !== 'POST') throw methodNotAllowed(request);
			const rawBytes = await readBodyWithin(request, webhookBodyLimits.meta);
			const signature = request.headers.get('x-hub-signature-256');
			if (!signature) {
				throw new HttpError(401, 'missing_signature', 'The X-Hub-Signature-256 header is missing.');
			}
			const rawBody = new TextDecoder().decode(rawBytes);
			const routing = metaDeliveryRouting(rawBody);
			const service = serviceClient(config);
			const { data, error } = await service.rpc('meta_webhook_numbers', {
				phone_number_ids: routing.phoneNumberIds,
				business_account_ids: routing.businessAccountIds
			});
			if (error) throw databaseFailure(error);
			const numbers = data ?? [];
			const key = await encryptionKeyOf(config);
			const verified: MetaNumberRow[] = [];
			for (const number of numbers) {
				const appSecret = await openStoredSecret(
					number.app_secret_ciphertext,
					key,
					'Meta app secret'
				);
				if (await validMetaSignature(appSecret, rawBytes, signature)) verified.push(number);
			}
			if (numbers.length === 0) {
				// Costs what checking a known number does, so timing does not tell them apart either.
				await validMetaSignature(crypto.randomUUID(), rawBytes, signature);
			}
			if (verified.length === 0) throw signatureRefused('X-Hub-Signature-256');
			let parsed: ParsedMetaDelivery = { byNumber: new Map(), byAccount: new Map() };
			let parseError: string | undefined;
			try {
				parsed = parseMetaDelivery(storableValue(JSON.parse(rawBody)));
			} catch (failure) {
				parseError =
					failure instanceof SyntaxError
						? 'The delivery body is not valid JSON.'
						: failure instanceof Error
							? failure.message
							: String(failure);
			}
			for (const number of verified) {
				const delivery = {
					...(parsed.byNumber.get(number.phone_number_id) ?? emptyDelivery()),
					events: parsed.byAccount.get(number.business_account_id ?? '') ?? []
				};
				// A number of the same app (or account) the delivery says nothing about keeps nothing;
				// one Parley does not have at all is acknowledged and left, as Meta would only retry it.
				const named = routing.phoneNumberIds.includes(number.phone_number_id);
				if (!deliveryHasItems(delivery) && !(parseError && named)) continue;
				await ingestDelivery(
					{ config, service, scheduleAiReply },
					{
						provider: 'meta',
						numberId: number.number_id,
						request,
						rawBody,
						delivery,
						parseError
					}
				);
			}
			// Kept, with the reason for anything unreadable: Meta would only send the same bytes again.
			return new Response('EVENT_RECEIVED', { status: 200 });
		} catch (error) {
			return errorResponse(error);
		}
	};
}

/** Meta's `hub.challenge` echo, when the verify token is one of a connected number's. */
async function verifySubscription(
	request: Request,
	config: ProviderFunctionConfig
): Promise<Response> {
	const query = new URL(request.url).searchParams;
	const token = query.get('hub.verify_token') ?? '';
	const challenge = query.get('hub.challenge') ?? '';
	if (query.get('hub.mode') !== 'subscribe' || !token || !challenge) {
		throw new HttpError(
			400,
			'invalid_verification',
			'This is not a webhook verification request: hub.mode, hub.verify_token and hub.challenge are needed.'
		);
	}
	const { data, error } = await serviceClient(config).rpc('meta_verify_token_exists', {
		verify_token: token
	});
	if (error) throw databaseFailure(error);
	if (data !== true) {
		throw new HttpError(
			403,
			'invalid_verify_token',
			'This verify token does not belong to any connected number. Copy it again from the number in Parley.'
		);
	}
	return new Response(challenge, { status: 200, headers: { 'Content-Type': 'text/plain' } });
}

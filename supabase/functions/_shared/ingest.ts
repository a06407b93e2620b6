/**
 * The webhook side of the pipeline: Twilio and Meta deliveries are verified (signature first,
 * nothing kept when it fails), parsed, and stored with one SQL call per delivery, which commits
 * before the provider hears 200. Unknown numbers answer 404; database failures 5xx so the
 * provider retries.
 */
import type { SupabaseClient } from 'npm:@supabase/supabase-js@2';
import { errorResponse, HttpError, methodNotAllowed, type Handler } from './http.ts';
import { encryptionKeyOf, openStoredSecret, type ProviderFunctionConfig } from './supabase.ts';
import {
	databaseFailure,
	publicFunctionUrl,
	scheduleAiReply,
	serviceClient,
	type IngestedMessage
} from './pipeline.ts';
import {
	parseTwilioDelivery,
	twilioDeliveryAddress,
	validTwilioSignature
} from './providers/twilio.ts';
import {
	metaDeliveryPhoneNumberIds,
	parseMetaDelivery,
	validMetaSignature
} from './providers/meta.ts';
import type { ParsedDelivery } from './providers/provider.ts';

/** Headers worth keeping for audit and replay (never credentials). */
function keptHeaders(request: Request): Record<string, string> {
	const kept: Record<string, string> = {};
	request.headers.forEach((value, name) => {
		if (!['authorization', 'apikey', 'cookie'].includes(name)) kept[name] = value;
	});
	return kept;
}

interface IngestResult {
	event_id: string;
	messages: IngestedMessage[];
	error: string | null;
}

/** Stores one verified delivery for one number: the single SQL call of the pipeline. */
export async function ingestDelivery(
	service: SupabaseClient,
	input: {
		provider: 'twilio' | 'meta';
		numberId: string;
		request: Request;
		rawBody: string;
		delivery: ParsedDelivery;
		parseError?: string;
	}
): Promise<IngestResult> {
	const { data, error } = await service.rpc('ingest_whatsapp_delivery', {
		provider: input.provider,
		number_id: input.numberId,
		headers: keptHeaders(input.request),
		raw_body: input.rawBody,
		messages: input.delivery.messages,
		statuses: input.delivery.statuses,
		parse_error: input.parseError ?? null
	});
	if (error) throw databaseFailure(error);
	const result = data as IngestResult;
	for (const message of result.messages) {
		if (message.inserted && message.ai_reply) await scheduleAiReply(message);
	}
	return result;
}

const emptyTwiml = () =>
	new Response('<Response></Response>', {
		status: 200,
		headers: { 'Content-Type': 'text/xml' }
	});

/** POST twilio-webhook: inbound messages and status callbacks, form-encoded and signed. */
export function createTwilioWebhookHandler(config: ProviderFunctionConfig): Handler {
	return async (request) => {
		try {
			if (request.method !== 'POST') throw methodNotAllowed(request);
			const rawBody = await request.text();
			const signature = request.headers.get('x-twilio-signature');
			if (!signature) {
				throw new HttpError(401, 'missing_signature', 'The X-Twilio-Signature header is missing.');
			}
			const params = Object.fromEntries(new URLSearchParams(rawBody));
			const address = twilioDeliveryAddress(params);
			const service = serviceClient(config);
			const { data, error } = await service.rpc('twilio_webhook_number', {
				account_sid: address.accountSid,
				address: address.businessAddress
			});
			if (error) throw databaseFailure(error);
			const number = (data as { number_id: string; auth_token_ciphertext: string }[] | null)?.[0];
			if (!number) {
				throw new HttpError(
					404,
					'unknown_number',
					`${address.businessAddress} is not connected to Parley for this Twilio account.`
				);
			}
			const authToken = await openStoredSecret(
				number.auth_token_ciphertext,
				await encryptionKeyOf(config),
				'Twilio auth token'
			);
			const url = publicFunctionUrl(config, 'twilio-webhook', request);
			if (!validTwilioSignature(authToken, signature, url, params)) {
				throw new HttpError(
					403,
					'invalid_signature',
					'The X-Twilio-Signature does not match this request.'
				);
			}
			let delivery: ParsedDelivery = { messages: [], statuses: [] };
			let parseError: string | undefined;
			try {
				delivery = parseTwilioDelivery(params);
			} catch (failure) {
				parseError = failure instanceof Error ? failure.message : String(failure);
			}
			await ingestDelivery(service, {
				provider: 'twilio',
				numberId: number.number_id,
				request,
				rawBody,
				delivery,
				parseError
			});
			if (parseError) throw new HttpError(400, 'invalid_webhook', parseError);
			return emptyTwiml();
		} catch (error) {
			return errorResponse(error);
		}
	};
}

interface MetaNumberRow {
	number_id: string;
	phone_number_id: string;
	app_secret_ciphertext: string;
}

/** GET meta-webhook: the subscription handshake; POST: signed deliveries. */
export function createMetaWebhookHandler(config: ProviderFunctionConfig): Handler {
	return async (request) => {
		try {
			if (request.method === 'GET') return await verifySubscription(request, config);
			if (request.method !== 'POST') throw methodNotAllowed(request);
			const rawBytes = new Uint8Array(await request.arrayBuffer());
			const signature = request.headers.get('x-hub-signature-256');
			if (!signature) {
				throw new HttpError(401, 'missing_signature', 'The X-Hub-Signature-256 header is missing.');
			}
			const rawBody = new TextDecoder().decode(rawBytes);
			const phoneNumberIds = metaDeliveryPhoneNumberIds(rawBody);
			const service = serviceClient(config);
			const { data, error } = await service.rpc('meta_webhook_numbers', {
				phone_number_ids: phoneNumberIds
			});
			if (error) throw databaseFailure(error);
			const numbers = (data as MetaNumberRow[] | null) ?? [];
			if (numbers.length === 0) {
				throw new HttpError(
					404,
					'unknown_number',
					`The phone number ${phoneNumberIds.join(', ')} is not connected to Parley.`
				);
			}
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
			if (verified.length === 0) {
				throw new HttpError(
					403,
					'invalid_signature',
					'The X-Hub-Signature-256 does not match this delivery.'
				);
			}
			let byNumber = new Map<string, ParsedDelivery>();
			let parseError: string | undefined;
			try {
				byNumber = parseMetaDelivery(JSON.parse(rawBody));
			} catch (failure) {
				parseError =
					failure instanceof SyntaxError
						? 'The delivery body is not valid JSON.'
						: failure instanceof Error
							? failure.message
							: String(failure);
			}
			for (const number of verified) {
				await ingestDelivery(service, {
					provider: 'meta',
					numberId: number.number_id,
					request,
					rawBody,
					delivery: byNumber.get(number.phone_number_id) ?? { messages: [], statuses: [] },
					parseError
				});
			}
			if (parseError) throw new HttpError(400, 'invalid_webhook', parseError);
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

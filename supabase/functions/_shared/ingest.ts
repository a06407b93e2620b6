/**
 * The webhook side of the pipeline: Twilio and Meta deliveries are size-checked, verified
 * (signature first, nothing kept when it fails), parsed item by item, and stored with one SQL call
 * per delivery, which commits before the provider hears 200. Signatures are checked with secrets
 * the function keeps in memory (webhook-credentials.ts) and that SQL call confirms they are still
 * the numbers' current ones, so a warm delivery costs one database call. A delivery that cannot
 * commit is retried here, then kept raw with its reason, and the provider hears 5xx and delivers
 * it again.
 */
import type { DatabaseClient } from './clients.ts';
import { errorResponse, HttpError, methodNotAllowed, type Handler } from './http.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { serviceClient } from './clients.ts';
import { restDeliveryCalls, type DeliveryCalls } from './delivery-calls.ts';
import {
	WebhookCredentialCache,
	type WebhookCredentials,
	type WebhookNumber,
	type WebhookRouting
} from './webhook-credentials.ts';
import { publicFunctionUrl, twilioConnectionOverrides } from './public-urls.ts';
import {
	databaseBusy,
	databaseFailure,
	databaseUnreachable,
	type DatabaseCallError
} from './database-errors.ts';
import { ingestResult, staleCredentials, type IngestResult } from './delivery-results.ts';
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

/**
 * Headers not kept with a delivery: credentials, and the provider's signature, which was checked
 * before anything was stored. A signature proves its body to whoever holds it, so the owners and
 * admins who read kept deliveries could otherwise post them to the webhook again.
 */
const unkeptHeaders = new Set([
	'authorization',
	'apikey',
	'cookie',
	'x-twilio-signature',
	'x-hub-signature',
	'x-hub-signature-256'
]);

/** Headers worth keeping for audit (never credentials or signatures). */
function keptHeaders(request: Request): Record<string, string> {
	const kept: Record<string, string> = {};
	request.headers.forEach((value, name) => {
		if (!unkeptHeaders.has(name)) kept[name] = value;
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
	/** Where the delivery's own calls go: REST, or SQL when the function has a database address. */
	calls: DeliveryCalls;
	/** Starts the AI reply to each new message that wants one. */
	scheduleAiReply: AiReplyScheduler;
}

/** How often a delivery is tried before the provider is asked to deliver it again. */
const ingestAttempts = 4;

/**
 * Stores one verified delivery for one number: the single SQL call of the pipeline, which first
 * confirms `credentials` (the versions the signature was checked with) and answers null, storing
 * nothing, when they are no longer current. Deadlocks, lock timeouts and lost connections are
 * retried; when the delivery still cannot commit, the raw delivery is kept with the reason in a
 * step of its own and a 5xx is thrown so the provider delivers it again.
 */
export async function ingestDelivery(
	{ config, service, calls, scheduleAiReply }: IngestContext,
	input: {
		provider: 'twilio' | 'meta';
		numberId: string;
		request: Request;
		rawBody: string;
		delivery: ParsedDelivery;
		parseError?: string;
		credentials: WebhookCredentials['claim'];
	}
): Promise<IngestResult | null> {
	const headers = keptHeaders(input.request);
	const rawBody = storableText(input.rawBody);
	let failure: DatabaseCallError = {};
	for (let attempt = 1; attempt <= ingestAttempts; attempt++) {
		const { data, error } = await calls.rpc('ingest_whatsapp_delivery', {
			provider: input.provider,
			number_id: input.numberId,
			headers,
			raw_body: rawBody,
			messages: input.delivery.messages,
			statuses: input.delivery.statuses,
			rejected: input.delivery.rejected,
			parse_error: input.parseError ?? null,
			events: input.delivery.events,
			credentials: input.credentials
		});
		if (!error) {
			if (staleCredentials.safeParse(data).success) return null;
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
	const kept = await calls.rpc('keep_unprocessed_delivery', {
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

/**
 * One service client and one set of delivery calls for all of a handler's deliveries, made when
 * the first one needs them: over SQL when `sqlCalls` is given (falling back on REST through the
 * client), else REST.
 */
function reusedClients(
	config: ProviderFunctionConfig,
	sqlCalls: ((rest: DeliveryCalls) => DeliveryCalls) | undefined
): () => { service: DatabaseClient; calls: DeliveryCalls } {
	let clients: { service: DatabaseClient; calls: DeliveryCalls } | undefined;
	return () => {
		if (clients) return clients;
		const service = serviceClient(config);
		const rest = restDeliveryCalls(service);
		clients = { service, calls: sqlCalls ? sqlCalls(rest) : rest };
		return clients;
	};
}

/** How often a delivery is verified again when its credentials changed while it was stored. */
const credentialAttempts = 3;

/** Credentials kept changing while a delivery was stored: the provider should deliver it again. */
function credentialsChanging(): HttpError {
	return new HttpError(
		503,
		'credentials_changing',
		'This number’s credentials changed while the delivery was being stored; deliver it again.'
	);
}

/**
 * The routing's numbers whose secret verifies the delivery, checked on cached secrets first and,
 * when none verifies (or `fresh` is asked for), on secrets read again: a rotated secret may be
 * the one the provider signed with. An unknown routing costs one check on a random secret, so
 * timing does not tell it apart from a wrong signature, and both are refused alike.
 */
async function verifiedNumbers(
	cache: WebhookCredentialCache,
	calls: DeliveryCalls,
	routing: WebhookRouting,
	header: string,
	verifies: (secret: string) => boolean | Promise<boolean>,
	fresh: boolean
): Promise<{ credentials: WebhookCredentials; verified: WebhookNumber[] }> {
	const check = async (credentials: WebhookCredentials) => {
		const verified: WebhookNumber[] = [];
		for (const number of credentials.numbers) {
			if (await verifies(number.secret)) verified.push(number);
		}
		return verified;
	};
	let credentials = await cache.read(calls, routing, { fresh });
	let verified = await check(credentials);
	if (verified.length === 0 && !credentials.fresh) {
		credentials = await cache.read(calls, routing, { fresh: true });
		verified = await check(credentials);
	}
	if (credentials.numbers.length === 0) await verifies(crypto.randomUUID());
	if (verified.length === 0) throw signatureRefused(header);
	return { credentials, verified };
}

const emptyTwiml = () =>
	new Response('<Response></Response>', {
		status: 200,
		headers: { 'Content-Type': 'text/xml' }
	});

/** POST twilio-webhook: inbound messages and status callbacks, form-encoded and signed. */
export function createTwilioWebhookHandler(
	config: ProviderFunctionConfig,
	scheduleAiReply: AiReplyScheduler,
	cache = new WebhookCredentialCache(config),
	sqlCalls?: (rest: DeliveryCalls) => DeliveryCalls
): Handler {
	const clients = reusedClients(config, sqlCalls);
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
			const routing: WebhookRouting = {
				provider: 'twilio',
				account_sid: address.accountSid,
				address: address.businessAddress
			};
			const url = publicFunctionUrl(config, 'twilio-webhook', request);
			const { service, calls } = clients();
			// Whether Twilio signs the URL with its connection-override fragment is not documented:
			// either form proves the auth token.
			const verifies = (authToken: string) =>
				validTwilioSignature(authToken, signature, url, params) ||
				validTwilioSignature(authToken, signature, url + twilioConnectionOverrides, params);
			let parsed: { delivery: ParsedDelivery; parseError?: string } | undefined;
			for (let attempt = 1; attempt <= credentialAttempts; attempt++) {
				const { credentials, verified } = await verifiedNumbers(
					cache,
					calls,
					routing,
					'X-Twilio-Signature',
					verifies,
					attempt > 1
				);
				parsed ??= parseTwilio(params);
				const stored = await ingestDelivery(
					{ config, service, calls, scheduleAiReply },
					{
						provider: 'twilio',
						numberId: verified[0].numberId,
						request,
						rawBody,
						...parsed,
						credentials: credentials.claim
					}
				);
				if (stored) return emptyTwiml();
				cache.forget(routing);
			}
			throw credentialsChanging();
		} catch (error) {
			return errorResponse(error);
		}
	};
}

function parseTwilio(params: Record<string, string>): {
	delivery: ParsedDelivery;
	parseError?: string;
} {
	try {
		return { delivery: parseTwilioDelivery(storableValue(params)) };
	} catch (failure) {
		return {
			delivery: emptyDelivery(),
			parseError: failure instanceof Error ? failure.message : String(failure)
		};
	}
}

/** GET meta-webhook: the subscription handshake; POST: signed deliveries. */
export function createMetaWebhookHandler(
	config: ProviderFunctionConfig,
	scheduleAiReply: AiReplyScheduler,
	cache = new WebhookCredentialCache(config),
	sqlCalls?: (rest: DeliveryCalls) => DeliveryCalls
): Handler {
	const clients = reusedClients(config, sqlCalls);
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
			const { phoneNumberIds, businessAccountIds } = metaDeliveryRouting(rawBody);
			const routing: WebhookRouting = {
				provider: 'meta',
				phone_number_ids: phoneNumberIds,
				business_account_ids: businessAccountIds
			};
			const verifies = (appSecret: string) => validMetaSignature(appSecret, rawBytes, signature);
			const { service, calls } = clients();
			let parsed: ReturnType<typeof parseMeta> | undefined;
			// Numbers whose part is committed: a retry after stale credentials does not store it twice.
			const done = new Set<string>();
			for (let attempt = 1; attempt <= credentialAttempts; attempt++) {
				const { credentials, verified } = await verifiedNumbers(
					cache,
					calls,
					routing,
					'X-Hub-Signature-256',
					verifies,
					attempt > 1
				);
				parsed ??= parseMeta(rawBody);
				const { deliveries, parseError } = parsed;
				let current = true;
				for (const number of verified) {
					const delivery = {
						...(deliveries.byNumber.get(number.phoneNumberId ?? '') ?? emptyDelivery()),
						events: deliveries.byAccount.get(number.businessAccountId ?? '') ?? []
					};
					// A number of the same app (or account) the delivery says nothing about keeps
					// nothing; one Parley does not have at all is acknowledged and left, as Meta would
					// only retry it.
					const named = phoneNumberIds.includes(number.phoneNumberId ?? '');
					if (done.has(number.numberId)) continue;
					if (!deliveryHasItems(delivery) && !(parseError && named)) continue;
					const stored = await ingestDelivery(
						{ config, service, calls, scheduleAiReply },
						{
							provider: 'meta',
							numberId: number.numberId,
							request,
							rawBody,
							delivery,
							parseError,
							credentials: credentials.claim
						}
					);
					// Stale: verified again from the start, with fresh credentials.
					if (!stored) {
						current = false;
						break;
					}
					done.add(number.numberId);
				}
				// Kept, with the reason for anything unreadable: Meta would only send the same bytes again.
				if (current) return new Response('EVENT_RECEIVED', { status: 200 });
				cache.forget(routing);
			}
			throw credentialsChanging();
		} catch (error) {
			return errorResponse(error);
		}
	};
}

function parseMeta(rawBody: string): { deliveries: ParsedMetaDelivery; parseError?: string } {
	try {
		return { deliveries: parseMetaDelivery(storableValue(JSON.parse(rawBody))) };
	} catch (failure) {
		return {
			deliveries: { byNumber: new Map(), byAccount: new Map() },
			parseError:
				failure instanceof SyntaxError
					? 'The delivery body is not valid JSON.'
					: failure instanceof Error
						? failure.message
						: String(failure)
		};
	}
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

/**
 * What the messaging functions share: Supabase clients, the caller's identity, provider adapters
 * and credentials for a number, and the point where an AI reply is scheduled after ingest.
 */
import { createClient, type SupabaseClient } from 'npm:@supabase/supabase-js@2';
import { HttpError } from './http.ts';
import { databaseFailure } from './database-errors.ts';

export { databaseFailure };
import {
	encryptionKeyOf,
	openStoredSecret,
	providerFunctionConfig,
	type ProviderFunctionConfig
} from './supabase.ts';
import { createMetaAdapter, createMetaMessagingAdapter } from './providers/meta.ts';
import { createTwilioAdapter, createTwilioMessagingAdapter } from './providers/twilio.ts';
import type {
	OutboundMessage,
	SendResult,
	FetchedMedia,
	ProviderTemplate
} from './providers/provider.ts';

const clientOptions = {
	auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
};

/** A client that bypasses RLS: only for the security definer RPCs of the pipeline. */
export function serviceClient(config: ProviderFunctionConfig): SupabaseClient {
	return createClient(config.supabaseUrl, config.serviceRoleKey, clientOptions);
}

/** The signed-in caller: their id and a client acting as them (RLS decides what they see). */
export interface Caller {
	userId: string;
	client: SupabaseClient;
}

/** The caller of a user-facing route, from the JWT the gateway verified; 401 for anything else. */
export function requireCaller(request: Request, config: ProviderFunctionConfig): Caller {
	const token = (request.headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '');
	let claims: { sub?: string; role?: string };
	try {
		const payload = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
		claims = JSON.parse(
			new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)))
		);
	} catch {
		claims = {};
	}
	if (claims.role !== 'authenticated' || !claims.sub) {
		throw new HttpError(401, 'not_signed_in', 'Sign in to read and send WhatsApp messages.');
	}
	return {
		userId: claims.sub,
		client: createClient(config.supabaseUrl, config.anonKey, {
			...clientOptions,
			global: { headers: { Authorization: `Bearer ${token}` } }
		})
	};
}

/** The public URL of a function, as a provider calls it (PARLEY_PUBLIC_FUNCTIONS_URL, behind proxies). */
export function publicFunctionUrl(
	config: ProviderFunctionConfig,
	slug: string,
	request?: Request
): string {
	return `${config.publicFunctionsUrl}/${slug}${request ? new URL(request.url).search : ''}`;
}

/**
 * Twilio's connection overrides for Parley's webhook: by default Twilio never retries a webhook
 * that answered 5xx, which would lose a message Parley could not store; with these it tries up to
 * three more times on any failure. Twilio keeps the fragment to itself: it is neither sent nor part
 * of the URL the request carries.
 */
export const twilioConnectionOverrides = '#rc=3&rp=all';

/** The twilio-webhook URL to give Twilio (number settings and status callbacks), overrides included. */
export function twilioWebhookUrl(config: ProviderFunctionConfig): string {
	return publicFunctionUrl(config, 'twilio-webhook') + twilioConnectionOverrides;
}

/** Provider operations on one number with its decrypted credentials. */
export interface NumberChannel {
	provider: 'twilio' | 'meta';
	send(message: OutboundMessage): Promise<SendResult>;
	markRead(providerMessageId: string): Promise<void>;
	fetchMedia(providerRef: string): Promise<FetchedMedia>;
	/** The account's templates; errors are HttpErrors worded for an account read (not a send). */
	listTemplates(businessAccountId: string | null): Promise<ProviderTemplate[]>;
}

interface SendCredentialsRow {
	provider: 'twilio' | 'meta';
	address: string | null;
	phone_number_id: string | null;
	account_sid: string | null;
	secret_ciphertext: string | null;
}

/** Loads and decrypts a number's credentials and binds them to its provider's adapter. */
export async function numberChannel(
	config: ProviderFunctionConfig,
	service: SupabaseClient,
	numberId: string
): Promise<NumberChannel> {
	const { data, error } = await service.rpc('number_send_credentials', { number_id: numberId });
	if (error) throw databaseFailure(error);
	const row = (data as SendCredentialsRow[] | null)?.[0];
	if (!row || !row.secret_ciphertext) {
		throw new HttpError(
			409,
			'number_not_connected',
			'This number has no stored provider credentials. An owner or admin needs to connect it again.'
		);
	}
	const key = await encryptionKeyOf(config);
	if (row.provider === 'twilio') {
		const authToken = await openStoredSecret(row.secret_ciphertext, key, 'Twilio auth token');
		const credentials = { accountSid: row.account_sid ?? '', authToken, from: row.address ?? '' };
		const adapter = createTwilioMessagingAdapter({ apiUrl: config.twilioApiUrl });
		return {
			provider: 'twilio',
			send: (message) => adapter.send(credentials, message),
			markRead: (id) => adapter.markRead(credentials, id),
			fetchMedia: (ref) => adapter.fetchMedia(credentials, ref),
			listTemplates: () =>
				createTwilioAdapter({ apiUrl: config.twilioApiUrl }).listTemplates(credentials)
		};
	}
	const accessToken = await openStoredSecret(row.secret_ciphertext, key, 'Meta access token');
	const credentials = { phoneNumberId: row.phone_number_id ?? '', accessToken };
	const adapter = createMetaMessagingAdapter({ graphUrl: config.metaGraphUrl });
	return {
		provider: 'meta',
		send: (message) => adapter.send(credentials, message),
		markRead: (id) => adapter.markRead(credentials, id),
		fetchMedia: (ref) => adapter.fetchMedia(credentials, ref),
		listTemplates: (businessAccountId) =>
			createMetaAdapter({ graphUrl: config.metaGraphUrl }).listTemplates({
				...credentials,
				businessAccountId
			})
	};
}

/** What ingest_whatsapp_delivery answers for each stored message. */
export interface IngestedMessage {
	provider_message_id: string;
	message_id?: string;
	conversation_id: string;
	inserted: boolean;
	ai_reply: boolean;
}

/** Keeps background work running after the response (Supabase's EdgeRuntime, else a detached promise). */
export function runInBackground(task: Promise<unknown>): void {
	const guarded = task.catch((error) => console.error('background work failed', error));
	const runtime = (globalThis as { EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void } })
		.EdgeRuntime;
	if (runtime?.waitUntil) runtime.waitUntil(guarded);
}

/**
 * Starts the AI reply to a new inbound message (the conversation has AI on and the number's agent
 * is active): the reply job's generation moves on before the webhook answers, and the answer is
 * built in the background once the customer is quiet (see ai-reply.ts).
 */
export async function scheduleAiReply(
	message: IngestedMessage,
	env: Record<string, string | undefined> = Deno.env.toObject()
): Promise<void> {
	// Loaded here so functions that never answer with AI do not load the OpenAI SDK.
	const [{ aiConfig }, { requestAiReply, runAiReplyJob }] = await Promise.all([
		import('./ai.ts'),
		import('./ai-reply.ts')
	]);
	const ai = aiConfig(env);
	const config = providerFunctionConfig(env);
	try {
		const generation = await requestAiReply(ai, serviceClient(config), message.conversation_id);
		if (generation === undefined) return;
		runInBackground(runAiReplyJob(config, ai, message.conversation_id, generation));
	} catch (error) {
		// The customer's message is stored and the webhook must still answer 200: a reply that
		// cannot be scheduled is logged, not retried by the provider.
		console.error('could not schedule an AI reply', error);
	}
}

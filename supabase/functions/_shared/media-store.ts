/**
 * Inbound attachments kept in Supabase Storage, because providers forget them (Meta media ids
 * expire after 7 days, Twilio media can be deleted): once a delivery has committed, each new
 * attachment is copied in the background into the private `whatsapp-media` bucket at
 * `<tenant_id>/<conversation_id>/<message_id>/<file>`, and its path is recorded on the message
 * (`media.storage_path`, or `content.media[n].storage_path` for Twilio's further attachments).
 * whatsapp-media then serves the copy; a copy that failed is made when someone opens it.
 */
import type { DatabaseClient } from './clients.ts';
import type { Row } from './database.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { numberChannel, type NumberChannel } from './number-channel.ts';
import { runInBackground } from './background.ts';
import type { IngestedMessage } from './delivery-results.ts';
import {
	ProviderSendError,
	type FetchedMedia,
	type InboundMessage,
	type MessageMedia
} from './providers/provider.ts';
import { servedMediaType } from './media-types.ts';

/** The private bucket every inbound attachment is kept in (see the whatsapp_media_storage migration). */
export const mediaBucket = 'whatsapp-media';

/** What keeping a message's attachments needs to know about it. */
export type MediaMessage = Pick<
	Row<'messages'>,
	'id' | 'tenant_id' | 'conversation_id' | 'media' | 'content'
>;

/** Waits before each further try of a fetch that 404'd (Twilio's CDN lags the webhook) or failed. */
const retryDelaysMs = [300, 900, 2_000, 4_000];

/** A file name safe in a storage path: letters, digits, dot, dash and underscore. */
function pathSafe(name: string): string {
	return name
		.replace(/[^\w.-]+/g, '_')
		.replace(/^[._]+/, '')
		.slice(0, 120);
}

/** Where an attachment is kept: the message's folder, then its file name or the provider's id. */
export function mediaStoragePath(
	message: MediaMessage,
	index: number,
	media: MessageMedia
): string {
	const providerId = (media.provider_ref ?? '').split('/').filter(Boolean).at(-1) ?? '';
	const name = pathSafe(media.filename ?? '') || pathSafe(providerId) || 'attachment';
	const file = index === 0 ? name : `${index}-${name}`;
	return `${message.tenant_id}/${message.conversation_id}/${message.id}/${file}`;
}

/** A message's attachments with their index: `media` first, then `content.media[1…]` (Twilio). */
function attachmentsOf(message: MediaMessage): { index: number; media: MessageMedia }[] {
	const attachments: { index: number; media: MessageMedia }[] = [];
	if (message.media?.provider_ref) attachments.push({ index: 0, media: message.media });
	const more = (message.content as { media?: unknown } | null)?.media;
	if (Array.isArray(more)) {
		more.forEach((item: MessageMedia | null, index) => {
			if (index > 0 && item?.provider_ref) attachments.push({ index, media: item });
		});
	}
	return attachments;
}

/** Fetches media from the provider, trying again when it is not there yet (404) or unreachable. */
export async function fetchProviderMedia(
	channel: NumberChannel,
	providerRef: string,
	delaysMs: readonly number[] = retryDelaysMs
): Promise<FetchedMedia> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await channel.fetchMedia(providerRef);
		} catch (failure) {
			const retryable =
				failure instanceof ProviderSendError && (failure.code === '404' || failure.unavailable);
			if (!retryable || attempt >= delaysMs.length) throw failure;
			await new Promise((resolve) => setTimeout(resolve, delaysMs[attempt]));
		}
	}
}

/** Uploads an attachment's bytes with the service role and records where they are. */
export async function keepMedia(
	service: DatabaseClient,
	message: MediaMessage,
	index: number,
	media: MessageMedia,
	bytes: Uint8Array,
	contentType: string
): Promise<string> {
	const path = mediaStoragePath(message, index, media);
	// Kept as served: only inert types keep their own, so Storage never serves a customer's page.
	const { error } = await service.storage.from(mediaBucket).upload(path, bytes, {
		contentType: servedMediaType(media.mime_type ?? contentType),
		upsert: true
	});
	if (error) throw new Error(`Storage refused the attachment: ${error.message}`);
	const recorded = await service.rpc('record_message_media_path', {
		message_id: message.id,
		storage_path: path,
		media_index: index
	});
	if (recorded.error) throw new Error(`Could not record the attachment: ${recorded.error.message}`);
	return path;
}

/**
 * Copies one message's attachments that are not kept yet, fetching each with `delaysMs` between
 * tries; a failure is logged, never thrown.
 */
async function keepMessageMedia(
	service: DatabaseClient,
	channel: NumberChannel,
	numberId: string,
	message: MediaMessage,
	delaysMs: readonly number[] = retryDelaysMs
): Promise<void> {
	for (const { index, media } of attachmentsOf(message)) {
		if (media.storage_path) continue;
		try {
			const fetched = await fetchProviderMedia(channel, media.provider_ref!, delaysMs);
			const bytes = new Uint8Array(await new Response(fetched.body).arrayBuffer());
			await keepMedia(service, message, index, media, bytes, fetched.contentType);
		} catch (failure) {
			if (failure instanceof ProviderSendError && failure.credentialsRejected) {
				await service.rpc('flag_number_credentials', {
					number_id: numberId,
					error: failure.sentence
				});
			}
			// The message is stored either way; whatsapp-media fetches from the provider when opened.
			console.error(
				`could not keep attachment ${index} of message ${message.id} in Storage:`,
				failure instanceof Error ? failure.message : failure
			);
		}
	}
}

/** Provider ids asked for in one request: each adds about 100 bytes to the query string. */
const messagesPerRead = 40;
/** Meta forgets a media id after seven days; nothing older is worth asking for again. */
const providerMediaDays = 7;

/** A delivery's message with attachments, as ingest answered for it. */
type DeliveredMedia = Pick<IngestedMessage, 'conversation_id' | 'provider_message_id' | 'inserted'>;

/**
 * Copies the attachments of a delivery's messages that are not kept yet. Each message is read by
 * this delivery's conversation and its provider id (unique per provider, not per tenant, so
 * another tenant's message never matches), received within the providers' media window.
 */
async function keepDeliveryMedia(
	service: DatabaseClient,
	numberId: string,
	delivered: DeliveredMedia[],
	config: ProviderFunctionConfig
): Promise<void> {
	const key = (message: { conversation_id: string; provider_message_id: string | null }) =>
		`${message.conversation_id} ${message.provider_message_id}`;
	// A message named twice in one delivery comes back stored once and once again: new if either.
	const isNew = new Map<string, boolean>();
	for (const message of delivered) {
		isNew.set(key(message), message.inserted || isNew.get(key(message)) === true);
	}
	const since = new Date(Date.now() - providerMediaDays * 86_400_000).toISOString();
	const found: { message: MediaMessage; inserted: boolean }[] = [];
	const unique = [...new Map(delivered.map((message) => [key(message), message])).values()];
	for (let start = 0; start < unique.length; start += messagesPerRead) {
		const part = unique.slice(start, start + messagesPerRead);
		const { data, error } = await service
			.from('messages')
			.select('id, tenant_id, conversation_id, provider_message_id, media, content')
			.in('provider_message_id', [...new Set(part.map((message) => message.provider_message_id))])
			.in('conversation_id', [...new Set(part.map((message) => message.conversation_id))])
			.gte('created_at', since)
			.not('media', 'is', null);
		if (error) throw new Error(`Could not read the delivery's media: ${error.message}`);
		for (const message of data ?? []) {
			const inserted = isNew.get(key(message));
			if (inserted !== undefined) found.push({ message, inserted });
		}
	}
	if (found.length === 0) return;
	const channel = await numberChannel(config, service, numberId);
	for (const { message, inserted } of found) {
		// A message delivered again gets one try: the first delivery already waited out the
		// provider's first 404s, and a delivery replayed again and again must not turn into as
		// many rounds of retries.
		await keepMessageMedia(service, channel, numberId, message, inserted ? retryDelaysMs : []);
	}
}

/**
 * After a delivery committed: copies the attachments of its messages into Storage in the
 * background, so the webhook answers without waiting and a failed copy never loses a message.
 * A message delivered again (the provider never heard the first answer, or the first copy failed
 * and the function went away) has what is still missing kept now: Meta forgets a media id after
 * seven days, whether or not anyone opened it.
 */
export function keepDeliveryMediaInBackground(
	config: ProviderFunctionConfig,
	service: DatabaseClient,
	numberId: string,
	stored: IngestedMessage[],
	parsed: InboundMessage[]
): void {
	const withMedia = new Set(
		parsed.filter((message) => message.media).map((message) => message.provider_message_id)
	);
	const delivered = stored.filter((message) => withMedia.has(message.provider_message_id));
	if (delivered.length === 0) return;
	runInBackground(keepDeliveryMedia(service, numberId, delivered, config));
}

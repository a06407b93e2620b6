/**
 * The whatsapp-media function, with the caller's JWT (RLS decides access):
 *   GET whatsapp-media/<id>   the bytes of a message's media (inbound or sent): the copy kept in
 *                             Storage, else fetched with the number's credentials (and then kept);
 *                             the browser never sees provider or Storage URLs
 */
import { z } from 'zod';
import {
	HttpError,
	methodNotAllowed,
	routeSegments,
	withCors,
	corsHeaders,
	type Handler
} from './http.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { requireCaller } from './callers.ts';
import { serviceClient } from './clients.ts';
import { numberChannel } from './number-channel.ts';
import { runInBackground } from './background.ts';
import { notFound, visibleConversation, visibleMessage } from './caller-reads.ts';
import { ProviderSendError } from './providers/provider.ts';
import { mediaContentDisposition, servedMediaType } from './media-types.ts';
import { fetchProviderMedia, keepMedia, mediaBucket } from './media-store.ts';

const uuid = z.guid('That is not a valid id.');

/** The headers every attachment is served with: only inert types inline, never a page. */
function mediaResponse(
	body: BodyInit | null,
	contentType: string,
	filename: string | null | undefined
): Response {
	return new Response(body, {
		status: 200,
		headers: {
			...corsHeaders,
			'Content-Type': servedMediaType(contentType),
			'Content-Disposition': mediaContentDisposition(contentType, filename),
			'Cache-Control': 'private, max-age=300',
			'X-Content-Type-Options': 'nosniff',
			'Content-Security-Policy': "default-src 'none'; sandbox"
		}
	});
}

/** The whatsapp-media function. */
export function createWhatsAppMediaHandler(config: ProviderFunctionConfig): Handler {
	return withCors(async (request) => {
		if (request.method !== 'GET') throw methodNotAllowed(request);
		const caller = requireCaller(request, config);
		const [messageId] = routeSegments(request, 'whatsapp-media');
		const parsedId = uuid.safeParse(messageId);
		if (!parsedId.success) throw notFound('message');
		const message = await visibleMessage(caller, parsedId.data);
		const media = message.media;
		if (!media?.provider_ref && !media?.storage_path) {
			throw new HttpError(404, 'no_media', 'This message has no media.');
		}
		const conversation = await visibleConversation(caller, message.conversation_id);
		const service = serviceClient(config);
		// The caller may see the message (RLS, above): the kept copy is read as the service role.
		if (media.storage_path) {
			const kept = await service.storage.from(mediaBucket).download(media.storage_path);
			if (kept.data) {
				return mediaResponse(kept.data.stream(), media.mime_type ?? kept.data.type, media.filename);
			}
			console.error(`the kept copy of message ${message.id} is missing: ${kept.error?.message}`);
			if (!media.provider_ref) {
				throw new HttpError(404, 'media_gone', 'This attachment is no longer stored.');
			}
		}
		try {
			const channel = await numberChannel(config, service, conversation.number_id);
			const fetched = await fetchProviderMedia(channel, media.provider_ref!, [300]);
			// The customer chose the type: only inert media keeps it; the rest is a download, never a page.
			const contentType = media.mime_type ?? fetched.contentType;
			if (!fetched.body) return mediaResponse(null, contentType, media.filename);
			// Not kept yet (the copy at ingest failed or is still running): kept now, while it is served.
			const [served, toKeep] = fetched.body.tee();
			const keptMessage = { ...message, tenant_id: conversation.tenant_id };
			runInBackground(
				new Response(toKeep)
					.arrayBuffer()
					.then((bytes) =>
						keepMedia(service, keptMessage, 0, media, new Uint8Array(bytes), contentType)
					)
			);
			return mediaResponse(served, contentType, media.filename);
		} catch (failure) {
			if (!(failure instanceof ProviderSendError)) throw failure;
			if (failure.credentialsRejected) {
				await service.rpc('flag_number_credentials', {
					number_id: conversation.number_id,
					error: failure.sentence
				});
			}
			throw new HttpError(502, 'media_unavailable', failure.sentence);
		}
	});
}

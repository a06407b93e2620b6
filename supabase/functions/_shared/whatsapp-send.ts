/**
 * The whatsapp-send function, with the caller's JWT (RLS decides access):
 *   POST whatsapp-send            { conversationId, text } | { conversationId, template } | { messageId }
 *                                 → the message row (queued, then sent, or failed with a sentence)
 *                                 multipart/form-data conversationId, file, text (its caption):
 *                                 an attachment, checked against the provider's limits, kept in
 *                                 Storage and sent by a signed URL the provider fetches
 *   POST whatsapp-send/read       { conversationId } → unread count to 0, blue ticks at the provider
 * (whatsapp-media serves the bytes of a message's media: whatsapp-media.ts)
 */
import { z } from 'zod';
import type { DatabaseClient } from './clients.ts';
import {
	HttpError,
	jsonResponse,
	methodNotAllowed,
	parseWith,
	readJson,
	routeSegments,
	withCors,
	type Handler
} from './http.ts';
import { databaseFailure } from './database-errors.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { requireCaller, type Caller } from './callers.ts';
import { serviceClient } from './clients.ts';
import { numberChannel } from './number-channel.ts';
import {
	deliverQueuedMessage,
	requireOpenWindow,
	type ConversationRow,
	type QueuedAttachment
} from './outbound-delivery.ts';
import {
	notFound,
	recipientOf,
	visibleConversation,
	visibleMessage,
	type MessageRow
} from './caller-reads.ts';
import { ProviderSendError } from './providers/provider.ts';
import type { MarkReadAnswer, TemplateReference } from './contracts.ts';
import {
	isHttpsUrl,
	mediaHeaderFormats,
	missingFieldsSentence,
	missingTemplateFields,
	needsHeaderMedia,
	renderTemplateMessage
} from './template-text.ts';
import { mediaBucket, mediaStoragePath } from './media-store.ts';
import {
	checkOutboundMedia,
	OUTBOUND_MEDIA_LARGEST_BYTES,
	outboundMediaKinds
} from './outbound-media.ts';

const uuid = z.guid('That is not a valid id.');

const templateSchema = z
	.object({
		name: z.string().min(1).max(512).optional(),
		language: z.string().min(2).max(15).optional(),
		contentSid: z
			.string()
			.regex(/^HX[0-9a-fA-F]{32}$/, 'contentSid must be a Twilio Content SID (HX…).')
			.optional(),
		variables: z.record(z.string(), z.string()).optional(),
		headerVariables: z.record(z.string(), z.string()).optional(),
		headerMedia: z
			.object({
				type: z.enum(mediaHeaderFormats),
				link: z
					.string()
					.trim()
					.refine(isHttpsUrl, 'The header’s media link must be a full https:// address.')
			})
			.optional(),
		buttonVariables: z.record(z.string().regex(/^\d+$/), z.string()).optional(),
		components: z.array(z.unknown()).optional()
	})
	.refine((template) => template.name || template.contentSid, {
		message: 'A template needs a name (Meta) or a contentSid (Twilio).'
	});

const sendSchema = z
	.object({
		conversationId: uuid.optional(),
		messageId: uuid.optional(),
		text: z
			.string()
			.trim()
			.min(1, 'Write a message before sending.')
			.max(4096, 'A WhatsApp message can be at most 4096 characters.')
			.optional(),
		template: templateSchema.optional()
	})
	.refine(
		(body) =>
			body.messageId
				? !body.conversationId && !body.text && !body.template
				: body.conversationId && (body.text ? !body.template : body.template),
		{
			message:
				'Send { conversationId, text }, { conversationId, template } or { messageId } to retry a failed message.'
		}
	);

const readSchema = z.object({ conversationId: uuid });

/** The form fields of an attachment send; the file itself is checked by checkOutboundMedia. */
const attachmentFieldsSchema = z.object({
	conversationId: uuid,
	text: z
		.string()
		.trim()
		.max(4096, 'A WhatsApp message can be at most 4096 characters.')
		.optional()
		.transform((text) => text || undefined)
});

/**
 * Checks a template against the number's synced copy (approved; body, header and URL-button
 * values and a media header's link all given) and returns the text the customer will read, with
 * the reference completed from the copy (a media header's kind). A template not synced yet is
 * sent as asked and the provider judges it; the inbox then shows the template's name and the
 * thread "a template message".
 */
async function renderSyncedTemplate(
	caller: Caller,
	conversation: ConversationRow,
	template: TemplateReference
): Promise<{ text: string; template: TemplateReference } | undefined> {
	let query = caller.client
		.from('whatsapp_templates')
		.select(
			'name, status, provider, header, header_format, header_variables, body, footer, buttons'
		)
		.eq('number_id', conversation.number_id);
	query = template.contentSid
		? query.eq('provider_template_id', template.contentSid)
		: query.eq('name', template.name!).eq('language', template.language ?? 'en_US');
	const { data, error } = await query.limit(1).maybeSingle();
	if (error) throw databaseFailure(error);
	if (!data) return undefined;
	const synced = data;
	if (synced.status !== 'approved') {
		throw new HttpError(
			409,
			'template_not_approved',
			`The template “${synced.name}” is ${synced.status.replace(/_/g, ' ')}, not approved, so WhatsApp will not deliver it. Pick an approved template.`
		);
	}
	// The synced copy says what kind of media the header shows, whatever the request said.
	const completed: TemplateReference =
		template.headerMedia && needsHeaderMedia(synced)
			? {
					...template,
					headerMedia: { type: synced.header_format, link: template.headerMedia.link }
				}
			: template;
	const missing = missingTemplateFields(synced, completed);
	if (missing.length > 0) {
		throw new HttpError(400, 'template_variables_missing', missingFieldsSentence(synced, missing), {
			missing
		});
	}
	return { text: renderTemplateMessage(synced, completed), template: completed };
}

async function sendMessage(
	config: ProviderFunctionConfig,
	caller: Caller,
	service: DatabaseClient,
	body: z.output<typeof sendSchema>
): Promise<Response> {
	let conversation: ConversationRow;
	let text = body.text;
	let template: TemplateReference | undefined = body.template;
	let attachment: QueuedAttachment | undefined;
	if (body.messageId) {
		const failed = await visibleMessage(caller, body.messageId);
		if (failed.direction !== 'outbound' || failed.status !== 'failed') {
			throw new HttpError(
				409,
				'not_failed',
				'Only a message that failed to send can be sent again.'
			);
		}
		conversation = await visibleConversation(caller, failed.conversation_id);
		text = failed.type === 'template' ? undefined : (failed.body ?? undefined);
		template = failed.type === 'template' ? storedTemplate(failed.content) : undefined;
		attachment = sentAttachment(failed);
	} else {
		conversation = await visibleConversation(caller, body.conversationId!);
	}
	if (!template) requireOpenWindow(conversation);
	// A template message keeps the words the customer receives, so the thread can show them.
	let storedBody = text;
	if (template && !body.messageId) {
		const checked = await renderSyncedTemplate(caller, conversation, template);
		storedBody = checked?.text;
		template = checked?.template ?? template;
	}

	const to = await recipientOf(caller, conversation);

	const queued = body.messageId
		? await caller.client.rpc('requeue_failed_message', { message_id: body.messageId })
		: await caller.client.rpc('queue_outbound_message', {
				conversation_id: conversation.id,
				body: storedBody ?? null,
				template: template ?? null
			});
	if (queued.error) {
		if (queued.error.code === '42501') throw notFound('conversation');
		if (queued.error.code === 'P0001') throw new HttpError(409, 'not_failed', queued.error.message);
		throw databaseFailure(queued.error);
	}
	const message = queued.data;

	const stored = await deliverQueuedMessage(config, service, {
		messageId: message.id,
		numberId: conversation.number_id,
		to,
		text,
		template,
		attachment
	});
	return jsonResponse(stored);
}

/** The template a failed template message keeps in `content`, checked as a send checks it. */
function storedTemplate(content: unknown): TemplateReference {
	const parsed = templateSchema.safeParse(content);
	if (parsed.success) return parsed.data;
	throw new HttpError(
		409,
		'template_unreadable',
		'This template message cannot be sent again as it was stored. Send the template anew.'
	);
}

/** The attachment a failed message sends again: the same kept file. */
function sentAttachment(message: MessageRow): QueuedAttachment | undefined {
	const kind = outboundMediaKinds.find((candidate) => candidate === message.type);
	if (!kind || !message.media) return undefined;
	return {
		kind,
		storagePath: message.media.storage_path ?? null,
		mimeType: message.media.mime_type ?? 'application/octet-stream',
		filename: message.media.filename
	};
}

/** Reads an attachment send's form, refusing a body larger than any provider would take. */
async function readAttachmentForm(
	request: Request
): Promise<{ fields: z.output<typeof attachmentFieldsSchema>; file: File }> {
	const declared = Number(request.headers.get('content-length') ?? '0');
	// The form's own fields and boundaries fit well within the extra megabyte.
	if (declared > OUTBOUND_MEDIA_LARGEST_BYTES + 1024 * 1024) {
		throw new HttpError(
			413,
			'attachment_too_large',
			'That file is larger than WhatsApp takes (at most 100 MB, for documents). Send a smaller file.'
		);
	}
	let form: FormData;
	try {
		form = await request.formData();
	} catch {
		throw new HttpError(400, 'invalid_form', 'The attachment could not be read. Attach it again.');
	}
	const file = form.get('file');
	if (!(file instanceof File)) {
		throw new HttpError(400, 'invalid_request', 'Attach a file before sending.');
	}
	const fields = parseWith(attachmentFieldsSchema, {
		conversationId: form.get('conversationId') ?? undefined,
		text: form.get('text') ?? undefined
	});
	return { fields, file };
}

/**
 * An agent's attachment: checked against the number's provider (type, size, caption), queued as
 * an image/video/audio/document message, kept in Storage under the conversation's tenant by the
 * service role (the caller's right to the conversation was checked through RLS first), then sent.
 */
async function sendAttachment(
	config: ProviderFunctionConfig,
	caller: Caller,
	service: DatabaseClient,
	request: Request
): Promise<Response> {
	const { fields, file } = await readAttachmentForm(request);
	const conversation = await visibleConversation(caller, fields.conversationId);
	requireOpenWindow(conversation);
	const { data: number, error: numberError } = await caller.client
		.from('whatsapp_numbers')
		.select('provider')
		.eq('id', conversation.number_id)
		.single();
	if (numberError) throw databaseFailure(numberError);
	const provider = number.provider;
	const check = checkOutboundMedia(provider, file, fields.text);
	if (!check.ok) {
		const status = check.reason === 'size' ? 413 : check.reason === 'type' ? 415 : 400;
		throw new HttpError(status, `attachment_${check.reason}`, check.sentence);
	}
	const to = await recipientOf(caller, conversation);

	const queued = await caller.client.rpc('queue_outbound_message', {
		conversation_id: conversation.id,
		body: fields.text ?? null,
		template: null,
		media: { kind: check.kind, mime_type: check.mimeType, filename: file.name, size: file.size }
	});
	if (queued.error) {
		if (queued.error.code === '42501') throw notFound('conversation');
		throw databaseFailure(queued.error);
	}
	const message = queued.data;
	const attachment: QueuedAttachment = {
		kind: check.kind,
		storagePath: null,
		mimeType: check.mimeType,
		filename: file.name
	};
	const path = mediaStoragePath({ ...message, media: null, content: null }, 0, {
		filename: file.name
	});
	// Kept with its own type: it is one WhatsApp takes (never a page), and Twilio checks it.
	const kept = await service.storage
		.from(mediaBucket)
		.upload(path, new Uint8Array(await file.arrayBuffer()), { contentType: check.mimeType });
	const recorded = kept.error
		? undefined
		: await service.rpc('record_message_media_path', {
				message_id: message.id,
				storage_path: path,
				media_index: 0
			});
	if (kept.error || recorded?.error) {
		console.error(
			'keeping a sent attachment failed',
			kept.error?.message ?? recorded?.error?.message
		);
	} else {
		attachment.storagePath = path;
	}
	// Without a kept file the send fails in words (deliverQueuedMessage), and the message says so.
	const stored = await deliverQueuedMessage(config, service, {
		messageId: message.id,
		numberId: conversation.number_id,
		to,
		text: fields.text,
		attachment
	});
	return jsonResponse(stored);
}

async function markConversationRead(
	config: ProviderFunctionConfig,
	caller: Caller,
	service: DatabaseClient,
	conversationId: string
): Promise<Response> {
	const { data, error } = await caller.client
		.from('conversations')
		.update({ unread_count: 0 })
		.eq('id', conversationId)
		.select('id, number_id')
		.maybeSingle();
	if (error) throw databaseFailure(error);
	if (!data) throw notFound('conversation');
	const read = await caller.client
		.from('notifications')
		.update({ read_at: new Date().toISOString() })
		.eq('conversation_id', conversationId)
		.is('read_at', null);
	if (read.error) throw databaseFailure(read.error);

	const latest = await caller.client
		.from('messages')
		.select('provider, provider_message_id')
		.eq('conversation_id', conversationId)
		.eq('direction', 'inbound')
		.order('created_at', { ascending: false })
		.limit(1)
		.maybeSingle();
	if (latest.error) throw databaseFailure(latest.error);
	let providerReceipt: MarkReadAnswer['providerReceipt'] = 'not_supported';
	// Meta marks read through Graph; Twilio through its Typing Indicators API.
	if (latest.data?.provider_message_id) {
		try {
			const channel = await numberChannel(config, service, data.number_id);
			await channel.markRead(latest.data.provider_message_id);
			providerReceipt = 'sent';
		} catch (failure) {
			// The inbox is read either way; blue ticks are a courtesy to the customer, so a
			// provider that refuses them is logged and never fails the person's action.
			providerReceipt = 'failed';
			console.warn(
				`marking conversation ${conversationId} read at ${latest.data.provider} failed:`,
				failure instanceof Error ? failure.message : failure
			);
			if (failure instanceof ProviderSendError && failure.credentialsRejected) {
				const flagged = await service.rpc('flag_number_credentials', {
					number_id: data.number_id,
					error: failure.sentence
				});
				if (flagged.error) console.error('flagging the number failed', flagged.error.message);
			}
		}
	}
	const answer: MarkReadAnswer = { conversationId, unreadCount: 0, providerReceipt };
	return jsonResponse(answer);
}

/** The whatsapp-send function. */
export function createWhatsAppSendHandler(config: ProviderFunctionConfig): Handler {
	return withCors(async (request) => {
		if (request.method !== 'POST') throw methodNotAllowed(request);
		const caller = requireCaller(request, config);
		const service = serviceClient(config);
		const [route] = routeSegments(request, 'whatsapp-send');
		if (route === 'read') {
			const { conversationId } = parseWith(readSchema, await readJson(request));
			return markConversationRead(config, caller, service, conversationId);
		}
		if (route !== undefined) throw new HttpError(404, 'not_found', 'There is no such route.');
		const contentType = request.headers.get('content-type') ?? '';
		if (contentType.toLowerCase().startsWith('multipart/form-data')) {
			return sendAttachment(config, caller, service, request);
		}
		return sendMessage(config, caller, service, parseWith(sendSchema, await readJson(request)));
	});
}

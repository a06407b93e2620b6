/**
 * The one sending path for people and the AI agent: a queued message goes out through its number's
 * provider and its outcome is recorded (sent with the provider's id, or failed with a sentence),
 * after the 24-hour window was checked for free text.
 */
import type { DatabaseClient } from './clients.ts';
import type { Row } from './database.ts';
import { HttpError } from './http.ts';
import { databaseFailure } from './database-errors.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { numberChannel } from './number-channel.ts';
import { twilioWebhookUrl } from './public-urls.ts';
import { serviceWindow, type TemplateReference } from './contracts.ts';
import { mediaBucket } from './media-store.ts';
import type { OutboundMediaKind } from './outbound-media.ts';
import { ProviderSendError, type OutboundMedia, type Recipient } from './providers/provider.ts';

/** How long a provider may take to fetch a sent attachment from its signed URL. */
const attachmentUrlLifetimeSeconds = 60 * 60;

/** A stored attachment to send: where it is kept and what it is. */
export interface QueuedAttachment {
	kind: OutboundMediaKind;
	storagePath: string | null;
	mimeType: string;
	filename?: string | null;
}

/** The conversation fields the sending path needs. */
export type ConversationRow = Pick<
	Row<'conversations'>,
	'id' | 'tenant_id' | 'number_id' | 'contact_id' | 'last_inbound_at'
>;

/** 409 outside_window when free text would break WhatsApp's 24-hour rule (before any provider call). */
export function requireOpenWindow(conversation: ConversationRow, now = Date.now()): void {
	const window = serviceWindow(conversation.last_inbound_at, now);
	if (window.open) return;
	const closedAt = window.closesAt?.toISOString() ?? null;
	throw new HttpError(
		409,
		'outside_window',
		closedAt
			? `More than 24 hours have passed since the customer last wrote (the window closed at ${closedAt}). WhatsApp only allows a template message now.`
			: 'The customer has not written to this number yet, so WhatsApp only allows a template message.',
		{ windowClosedAt: closedAt }
	);
}

/**
 * A signed URL for a kept attachment, which the provider fetches (Twilio's MediaUrl, Meta's link):
 * private Storage needs no public bucket, and the URL stops working after an hour.
 */
async function attachmentUrl(
	service: DatabaseClient,
	attachment: QueuedAttachment
): Promise<OutboundMedia> {
	const signed = attachment.storagePath
		? await service.storage
				.from(mediaBucket)
				.createSignedUrl(attachment.storagePath, attachmentUrlLifetimeSeconds)
		: undefined;
	if (!signed?.data?.signedUrl) {
		if (signed?.error) console.error('signing an attachment failed', signed.error.message);
		throw new ProviderSendError(
			'attachment_missing',
			'The attachment is no longer stored, so it cannot be sent. Attach the file again in a new message.',
			false
		);
	}
	return {
		kind: attachment.kind,
		url: signed.data.signedUrl,
		mimeType: attachment.mimeType,
		filename: attachment.filename
	};
}

/**
 * Sends a queued message through its number's provider and records the outcome (sent with the
 * provider's id, or failed with a sentence): the one sending path for people and the AI agent.
 */
export async function deliverQueuedMessage(
	config: ProviderFunctionConfig,
	service: DatabaseClient,
	input: {
		messageId: string;
		numberId: string;
		to: Recipient;
		text?: string;
		template?: TemplateReference;
		/** An attachment kept in Storage, sent with `text` as its caption. */
		attachment?: QueuedAttachment;
	}
): Promise<unknown> {
	let stored;
	try {
		const channel = await numberChannel(config, service, input.numberId);
		const media = input.attachment ? await attachmentUrl(service, input.attachment) : undefined;
		const sent = await channel.send({
			to: input.to,
			text: input.text,
			template: input.template,
			media,
			statusCallbackUrl: channel.provider === 'twilio' ? twilioWebhookUrl(config) : undefined
		});
		stored = await service.rpc('record_message_sent', {
			message_id: input.messageId,
			provider_message_id: sent.providerMessageId,
			status: sent.status
		});
		// The provider took the credentials: a number that needed attention is healthy again.
		const healthy = await service.rpc('record_credentials_working', {
			number_ids: [input.numberId]
		});
		if (healthy.error) console.error('recording a working number failed', healthy.error.message);
	} catch (error) {
		const failure =
			error instanceof ProviderSendError
				? error
				: error instanceof HttpError
					? new ProviderSendError(error.code, error.message, false)
					: undefined;
		if (!failure) throw error;
		if (failure.credentialsRejected) {
			const flagged = await service.rpc('flag_number_credentials', {
				number_id: input.numberId,
				error: failure.sentence
			});
			if (flagged.error) throw databaseFailure(flagged.error);
		}
		stored = await service.rpc('record_message_failed', {
			message_id: input.messageId,
			error_code: failure.code,
			error_message: failure.sentence
		});
	}
	if (stored.error) throw databaseFailure(stored.error);
	return stored.data;
}

/**
 * Meta's webhooks: the signature check, which numbers a delivery is for, and the parser that turns
 * a delivery into messages, statuses, echoes and account events (an unreadable item is kept with
 * its reason, never dropped).
 */
import { z } from 'zod';
import { HttpError } from '../http.ts';
import { providerErrorSentence } from '../pipeline-errors.ts';
import {
	businessScopedUserId,
	emptyDelivery,
	type AccountEvent,
	type InboundMessage,
	type InboundMessageType,
	type ParsedDelivery,
	type StatusUpdate
} from './provider.ts';

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
	if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined;
	const bytes = new Uint8Array(hex.length / 2);
	for (let index = 0; index < bytes.length; index++) {
		bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
	}
	return bytes;
}

/**
 * Checks `X-Hub-Signature-256` (`sha256=<hex>`) over the raw body bytes with the app secret.
 * `crypto.subtle.verify` compares in constant time.
 */
export async function validMetaSignature(
	appSecret: string,
	rawBody: Uint8Array<ArrayBuffer>,
	header: string | null
): Promise<boolean> {
	const signature = header?.startsWith('sha256=') ? hexToBytes(header.slice(7)) : undefined;
	if (!signature || signature.length !== 32) return false;
	const key = await crypto.subtle.importKey(
		'raw',
		new TextEncoder().encode(appSecret),
		{ name: 'HMAC', hash: 'SHA-256' },
		false,
		['verify']
	);
	return crypto.subtle.verify('HMAC', key, signature, rawBody);
}

/** Whom a Meta delivery is for: the phone number ids and WhatsApp Business Accounts it names. */
export interface MetaDeliveryRouting {
	phoneNumberIds: string[];
	businessAccountIds: string[];
}

/**
 * The phone number ids and business accounts (`entry.id`) a Meta delivery names, read before its
 * signature is checked to pick the app secret to check it with. Nothing else of the body is
 * trusted or used until the signature checks out; a body that is not JSON is searched as text.
 */
export function metaDeliveryRouting(rawBody: string): MetaDeliveryRouting {
	const phoneNumberIds = new Set<string>();
	const businessAccountIds = new Set<string>();
	for (const match of rawBody.matchAll(/"phone_number_id"\s*:\s*"(\d{1,32})"/g)) {
		phoneNumberIds.add(match[1]);
	}
	try {
		const entries = (JSON.parse(rawBody) as { entry?: unknown }).entry;
		for (const entry of Array.isArray(entries) ? entries : []) {
			const id = (entry as { id?: unknown } | null)?.id;
			if (typeof id === 'string' && /^\d{1,32}$/.test(id)) businessAccountIds.add(id);
		}
	} catch {
		// Not JSON: only the phone number ids found in the text can route it.
	}
	if (phoneNumberIds.size === 0 && businessAccountIds.size === 0) {
		throw new HttpError(
			400,
			'invalid_webhook',
			'This is not a WhatsApp Cloud API delivery: no entry names a phone_number_id or a business account.'
		);
	}
	return { phoneNumberIds: [...phoneNumberIds], businessAccountIds: [...businessAccountIds] };
}

const mediaObject = z.object({
	id: z.string(),
	mime_type: z.string().optional(),
	sha256: z.string().optional(),
	caption: z.string().optional(),
	filename: z.string().optional()
});

const metaUserId = z
	.string()
	.regex(businessScopedUserId, 'must be a WhatsApp user id like US.13491208655302741918');

// `from` (the phone) is left out when a username customer's phone cannot be shared; the user id is
// then the only way to know who wrote.
const metaMessage = z
	.looseObject({
		from: z
			.string()
			.regex(/^[1-9]\d{6,14}$/, 'must be a WhatsApp id, digits not starting with 0')
			.optional(),
		from_user_id: metaUserId.optional(),
		from_parent_user_id: z.string().max(160).optional(),
		id: z.string().min(1),
		timestamp: z.string().optional(),
		type: z.string(),
		text: z.object({ body: z.string() }).optional(),
		image: mediaObject.optional(),
		audio: mediaObject.optional(),
		video: mediaObject.optional(),
		document: mediaObject.optional(),
		sticker: mediaObject.optional(),
		location: z
			.object({
				latitude: z.number(),
				longitude: z.number(),
				name: z.string().optional(),
				address: z.string().optional()
			})
			.optional(),
		contacts: z.array(z.unknown()).optional(),
		interactive: z
			.looseObject({
				type: z.string().optional(),
				button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
				list_reply: z
					.object({ id: z.string(), title: z.string(), description: z.string().optional() })
					.optional()
			})
			.optional(),
		button: z.object({ text: z.string().optional(), payload: z.string().optional() }).optional(),
		reaction: z.object({ message_id: z.string(), emoji: z.string().optional() }).optional(),
		context: z.looseObject({ from: z.string().optional(), id: z.string().optional() }).optional(),
		errors: z.array(z.unknown()).optional()
	})
	.refine((message) => message.from || message.from_user_id, {
		message: 'names no sender: neither from nor from_user_id',
		path: ['from']
	});

const metaStatus = z.looseObject({
	id: z.string().min(1),
	status: z.string(),
	timestamp: z.string().optional(),
	recipient_id: z.string().optional(),
	errors: z
		.array(
			z.looseObject({
				code: z.union([z.number(), z.string()]).optional(),
				title: z.string().optional(),
				message: z.string().optional(),
				error_data: z.looseObject({ details: z.string().optional() }).optional()
			})
		)
		.optional()
});

// The envelope only: messages and statuses are read one by one, so one item Parley cannot read
// is kept with its reason and never refuses the items beside it.
const metaDelivery = z.object({
	object: z.string(),
	entry: z.array(
		z.object({
			id: z.string().optional(),
			changes: z.array(
				z.object({
					field: z.string(),
					value: z.looseObject({
						metadata: z.object({ phone_number_id: z.string() }).optional(),
						contacts: z.array(z.unknown()).optional(),
						messages: z.array(z.unknown()).optional(),
						statuses: z.array(z.unknown()).optional()
					})
				})
			)
		})
	)
});

type MetaChangeValue = z.output<typeof metaDelivery>['entry'][number]['changes'][number]['value'];

const metaContact = z.looseObject({
	wa_id: z.string().optional(),
	user_id: z.string().optional(),
	parent_user_id: z.string().optional(),
	profile: z
		.looseObject({ name: z.string().optional(), username: z.string().optional() })
		.optional()
});

/** What a delivery's `contacts` say about a sender: names and identifiers. */
interface MetaSender {
	profileName: string | null;
	username: string | null;
	userId: string | null;
	parentUserId: string | null;
}

/** The item's own id when it has one, so its failure can name it. */
function itemId(item: unknown): string | null {
	const id = (item as { id?: unknown } | null)?.id;
	return typeof id === 'string' && id ? id : null;
}

/** Why zod refused an item, as a sentence fragment: `from: must be … (digits).` */
function issueOf(error: z.ZodError): string {
	const issue = error.issues[0];
	return `${issue?.path.join('.') || 'item'}: ${issue?.message ?? 'not valid'}`;
}

function isoFromUnix(timestamp: string | undefined): string | null {
	const seconds = Number(timestamp);
	return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
}

const metaMediaTypes = new Set(['image', 'audio', 'video', 'document', 'sticker']);

function inboundFromMeta(
	message: z.output<typeof metaMessage>,
	sender: MetaSender | undefined
): InboundMessage {
	const base: InboundMessage = {
		provider_message_id: message.id,
		wa_id: message.from ?? null,
		user_id: message.from_user_id ?? sender?.userId ?? null,
		parent_user_id: message.from_parent_user_id ?? sender?.parentUserId ?? null,
		username: sender?.username ?? null,
		profile_name: sender?.profileName ?? null,
		type: 'unsupported',
		reply_to_provider_id: message.context?.id ?? null,
		sent_at: isoFromUnix(message.timestamp)
	};
	const type = message.type;
	if (type === 'text' && message.text) return { ...base, type: 'text', body: message.text.body };
	if (metaMediaTypes.has(type)) {
		const media = message[type as 'image' | 'audio' | 'video' | 'document' | 'sticker'];
		if (media) {
			return {
				...base,
				type: type as InboundMessageType,
				body: media.caption ?? null,
				media: {
					provider_ref: media.id,
					mime_type: media.mime_type ?? null,
					filename: media.filename ?? null,
					caption: media.caption ?? null,
					sha256: media.sha256 ?? null
				}
			};
		}
	}
	if (type === 'location' && message.location) {
		const { latitude, longitude, name, address } = message.location;
		return {
			...base,
			type: 'location',
			location: { latitude, longitude, name: name ?? null, address: address ?? null }
		};
	}
	if (type === 'contacts' && message.contacts) {
		const names = message.contacts
			.map((card) => (card as { name?: { formatted_name?: string } }).name?.formatted_name)
			.filter((name): name is string => Boolean(name));
		return { ...base, type: 'contacts', body: names.join(', ') || null, content: message.contacts };
	}
	if (type === 'interactive' && message.interactive) {
		const reply = message.interactive.button_reply ?? message.interactive.list_reply;
		return {
			...base,
			type: 'interactive',
			body: reply?.title ?? null,
			content: message.interactive
		};
	}
	if (type === 'button' && message.button) {
		return { ...base, type: 'button', body: message.button.text ?? null, content: message.button };
	}
	if (type === 'reaction' && message.reaction) {
		return {
			...base,
			type: 'reaction',
			reaction: {
				target_provider_id: message.reaction.message_id,
				emoji: message.reaction.emoji ?? ''
			}
		};
	}
	if (type === 'order' || type === 'system') {
		return { ...base, type, content: message[type as keyof typeof message] ?? null };
	}
	return { ...base, type: 'unsupported', content: message.errors ?? null };
}

const metaStatuses: Record<string, StatusUpdate['status'] | undefined> = {
	sent: 'sent',
	delivered: 'delivered',
	read: 'read',
	failed: 'failed'
};

/** What a Meta delivery carries: per phone number id, and per business account (account events). */
export interface ParsedMetaDelivery {
	byNumber: Map<string, ParsedDelivery>;
	byAccount: Map<string, AccountEvent[]>;
}

const templateStatusUpdate = z.looseObject({
	event: z.string(),
	message_template_id: z.union([z.number(), z.string()]),
	message_template_name: z.string().optional(),
	message_template_language: z.string().optional(),
	reason: z.string().nullish()
});

const numberNotice = z.looseObject({
	event: z.string(),
	display_phone_number: z.string().optional(),
	phone_number: z.string().optional(),
	current_limit: z.string().optional()
});

/** Meta's messaging tiers as a person reads them. */
function tierLabel(tier: string | undefined): string | null {
	const tiers: Record<string, string> = {
		TIER_50: '50',
		TIER_250: '250',
		TIER_1K: '1,000',
		TIER_10K: '10,000',
		TIER_100K: '100,000',
		TIER_UNLIMITED: 'unlimited'
	};
	return tier ? (tiers[tier] ?? tier) : null;
}

/** A quality or account event of Meta's, in words for the number's card. */
function noticeSentence(field: string, notice: z.output<typeof numberNotice>): string {
	const limit = tierLabel(notice.current_limit);
	const limitWords = limit ? ` Messaging limit: ${limit} customers a day.` : '';
	const words: Record<string, string> = {
		FLAGGED: 'Meta flagged this number for low quality; its messaging limit may be lowered.',
		UNFLAGGED: 'Meta lifted the low-quality flag on this number.',
		DOWNGRADE: 'Meta lowered this number’s messaging limit.',
		UPGRADE: 'Meta raised this number’s messaging limit.',
		ONBOARDING: 'Meta is setting up this number.',
		VERIFIED_ACCOUNT: 'Meta verified this business account.',
		DISABLED_UPDATE: 'Meta disabled this number. Check WhatsApp Manager.',
		ACCOUNT_VIOLATION: 'Meta reports a policy violation on this account. Check WhatsApp Manager.',
		ACCOUNT_RESTRICTION: 'Meta restricted this account. Check WhatsApp Manager.',
		ACCOUNT_DELETED: 'Meta deleted this WhatsApp Business Account.'
	};
	const sentence =
		words[notice.event] ??
		`Meta reported ${notice.event.toLowerCase().replaceAll('_', ' ')} (${field.replaceAll('_', ' ')}).`;
	return sentence + limitWords;
}

/**
 * Parses a Meta delivery: messages, echoes and statuses per phone number id, and template and
 * number events per business account — every entry and change, not only the first. Fields Parley
 * has no use for are acknowledged and left. Throws a 400 with the reason when the envelope itself
 * is malformed.
 */
export function parseMetaDelivery(payload: unknown): ParsedMetaDelivery {
	const parsed = metaDelivery.safeParse(payload);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new HttpError(
			400,
			'invalid_webhook',
			`This WhatsApp Cloud API delivery is malformed: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'not valid'}.`
		);
	}
	const byNumber = new Map<string, ParsedDelivery>();
	const byAccount = new Map<string, AccountEvent[]>();
	const numberDelivery = (id: string) => {
		const delivery = byNumber.get(id) ?? emptyDelivery();
		byNumber.set(id, delivery);
		return delivery;
	};
	const accountEvents = (id: string | undefined) => {
		const events = byAccount.get(id ?? '') ?? [];
		byAccount.set(id ?? '', events);
		return events;
	};
	for (const entry of parsed.data.entry) {
		for (const change of entry.changes) {
			const id = change.value.metadata?.phone_number_id;
			if (change.field === 'messages' && id) {
				readMessages(change.value, numberDelivery(id));
			} else if (change.field === 'smb_message_echoes' && id) {
				readEchoes(change.value, numberDelivery(id));
			} else if (change.field === 'message_template_status_update') {
				const update = templateStatusUpdate.safeParse(change.value);
				if (update.success) {
					accountEvents(entry.id).push({
						kind: 'template_status',
						template_id: String(update.data.message_template_id),
						name: update.data.message_template_name ?? null,
						language: update.data.message_template_language ?? null,
						status: update.data.event.toLowerCase(),
						reason: update.data.reason ?? null
					});
				}
			} else if (
				change.field === 'phone_number_quality_update' ||
				change.field === 'account_update'
			) {
				const notice = numberNotice.safeParse(change.value);
				if (notice.success) {
					accountEvents(entry.id).push({
						kind: 'number_notice',
						display_phone_number:
							notice.data.display_phone_number ?? notice.data.phone_number ?? null,
						sentence: noticeSentence(change.field, notice.data)
					});
				}
			}
		}
	}
	return { byNumber, byAccount };
}

/** Who wrote, by phone and by user id, from a change's `contacts`. */
function sendersOf(contacts: unknown[] | undefined): Map<string, MetaSender> {
	const senders = new Map<string, MetaSender>();
	for (const contact of contacts ?? []) {
		const read = metaContact.safeParse(contact);
		if (!read.success) continue;
		const userId = metaUserId.safeParse(read.data.user_id);
		const sender: MetaSender = {
			profileName: read.data.profile?.name ?? null,
			username: read.data.profile?.username ?? null,
			userId: userId.success ? userId.data : null,
			parentUserId: read.data.parent_user_id ?? null
		};
		if (read.data.wa_id) senders.set(read.data.wa_id, sender);
		if (sender.userId) senders.set(sender.userId, sender);
	}
	return senders;
}

/** Keeps an item Meta sent that Parley cannot read, with the reason, beside the readable ones. */
function rejectItem(
	delivery: ParsedDelivery,
	kind: 'message' | 'status',
	item: unknown,
	what: string,
	error: z.ZodError
): void {
	delivery.rejected.push({
		kind,
		provider_message_id: itemId(item),
		reason: `Meta sent ${what} Parley cannot read (${issueOf(error)}).`,
		item
	});
}

/** The customers' messages and the statuses of a `messages` change. */
function readMessages(value: MetaChangeValue, delivery: ParsedDelivery): void {
	// Senders by phone and by user id: a username customer's message names only the latter.
	const senders = sendersOf(value.contacts);
	for (const item of value.messages ?? []) {
		const message = metaMessage.safeParse(item);
		if (!message.success) {
			rejectItem(delivery, 'message', item, 'a message', message.error);
			continue;
		}
		const { from, from_user_id: fromUserId } = message.data;
		delivery.messages.push(
			inboundFromMeta(
				message.data,
				(from ? senders.get(from) : undefined) ?? (fromUserId ? senders.get(fromUserId) : undefined)
			)
		);
	}
	for (const item of value.statuses ?? []) {
		const read = metaStatus.safeParse(item);
		if (!read.success) {
			rejectItem(delivery, 'status', item, 'a status', read.error);
			continue;
		}
		const status = read.data;
		const mapped = metaStatuses[status.status];
		if (!mapped) continue;
		const error = status.errors?.[0];
		const code = error?.code === undefined ? null : String(error.code);
		delivery.statuses.push({
			provider_message_id: status.id,
			status: mapped,
			error_code: mapped === 'failed' ? code : null,
			error_message:
				mapped === 'failed'
					? providerErrorSentence('meta', code, error?.error_data?.details ?? error?.message)
					: null,
			occurred_at: isoFromUnix(status.timestamp)
		});
	}
}

/**
 * Messages the business sent from the WhatsApp Business app (coexistence): the customer is `to`
 * (or `to_user_id`), and each becomes an outbound message of the thread.
 */
function readEchoes(value: MetaChangeValue, delivery: ParsedDelivery): void {
	const echoes = (value as { message_echoes?: unknown }).message_echoes;
	for (const item of Array.isArray(echoes) ? echoes : []) {
		const echo = item as { to?: unknown; to_user_id?: unknown };
		const message = metaMessage.safeParse({
			...echo,
			from: echo.to,
			from_user_id: echo.to_user_id
		});
		if (!message.success) {
			rejectItem(delivery, 'message', item, 'an echo', message.error);
			continue;
		}
		delivery.messages.push({ ...inboundFromMeta(message.data, undefined), direction: 'outbound' });
	}
}

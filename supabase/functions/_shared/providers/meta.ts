/**
 * Meta WhatsApp Cloud API adapter: plain fetch against the Graph API (META_GRAPH_URL; the sandbox
 * in dev and tests). Credentials belong to one number: its phone number id and an access token.
 */
import { z } from 'npm:zod@4';
import type { MetaAppSubscription } from '../contracts.ts';
import { HttpError } from '../http.ts';
import { isCredentialsError, providerErrorSentence } from '../pipeline-errors.ts';
import {
	templatePlaceholders,
	type TemplateButton,
	type TemplateHeaderFormat,
	type TemplateVariable
} from '../template-text.ts';
import {
	businessScopedUserId,
	emptyDelivery,
	type AccountEvent,
	ProviderSendError,
	type InboundMessage,
	type InboundMessageType,
	type ParsedDelivery,
	type ProviderNumber,
	type ProviderTemplate,
	type Recipient,
	type StatusUpdate,
	type TemplateReference,
	type VerifiedCredentials,
	type WhatsAppMessagingAdapter,
	type WhatsAppProviderAdapter
} from './provider.ts';

export interface MetaCredentials {
	phoneNumberId: string;
	accessToken: string;
	/** WhatsApp Business Account id; when given, the number must belong to it. */
	businessAccountId?: string | null;
}

/** Graph's error envelope. */
interface GraphError {
	error?: { code?: number; error_subcode?: number; message?: string; type?: string };
}

/**
 * The Graph API version Parley speaks, unless META_GRAPH_VERSION says otherwise: v26.0 is current
 * (2026-07-29); Meta keeps each version about two years, so move it along as Meta releases.
 */
export const defaultGraphVersion = 'v26.0';

/** The Graph base with a version: a URL that names none (Graph's root, the sandbox's) gets `version`. */
export function graphBaseUrl(configured: string, version: string = defaultGraphVersion): string {
	const base = configured.replace(/\/+$/, '');
	return /\/v\d+\.\d+$/.test(base) ? base : `${base}/${version}`;
}

/** Converts Meta's display form (`+1 555-000-1111`, `15550001111`) to `+E164`, or undefined. */
export function displayNumberToE164(display: string | undefined): string | undefined {
	const digits = (display ?? '').replace(/\D/g, '');
	return /^[1-9]\d{6,14}$/.test(digits) ? `+${digits}` : undefined;
}

/** The Meta adapter: the common one, plus the app's subscription to a business account. */
export interface MetaAdapter extends WhatsAppProviderAdapter<MetaCredentials> {
	/** Checks `GET /{waba}/subscribed_apps` and subscribes the token's app when it is missing. */
	ensureAppSubscribed(credentials: MetaCredentials): Promise<MetaAppSubscription>;
}

export type { MetaAppSubscription };

/** Creates the Meta adapter. */
export function createMetaAdapter(options: {
	graphUrl: string;
	fetch?: typeof fetch;
}): MetaAdapter {
	const base = graphBaseUrl(options.graphUrl);
	const fetchImpl = options.fetch ?? fetch;

	/** GET a Graph path with the token; Graph errors become sentences with stable codes. */
	async function graphGet<T>(path: string, accessToken: string, subject: string): Promise<T> {
		let response: Response;
		try {
			response = await fetchImpl(`${base}/${path}`, {
				headers: { Authorization: `Bearer ${accessToken}` },
				signal: AbortSignal.timeout(15_000)
			});
		} catch {
			throw new HttpError(
				502,
				'provider_unavailable',
				'Parley could not reach Meta. Try again in a few minutes.'
			);
		}
		const body = (await response.json().catch(() => ({}))) as T & GraphError;
		if (response.ok) return body;
		const code = body.error?.code;
		if (response.status >= 500 || code === 1 || code === 2) {
			throw new HttpError(
				502,
				'provider_unavailable',
				`Meta is not answering properly right now (HTTP ${response.status}). Try again in a few minutes.`
			);
		}
		if (code === 190) {
			throw new HttpError(
				400,
				'meta_token_invalid',
				'Meta rejected this access token (error 190): it is invalid or has expired. Generate a new permanent token for your System User and paste it again.'
			);
		}
		if (code === 100) {
			throw new HttpError(
				400,
				'meta_not_found',
				`Meta found no ${subject} for this access token (error 100). Check the ID, and that the token's System User has access to the WhatsApp Business Account.`
			);
		}
		if (code === 10 || code === 200) {
			throw new HttpError(
				400,
				'meta_permission_denied',
				`This access token may not read the ${subject} (error ${code}). Give the token the whatsapp_business_management and whatsapp_business_messaging permissions.`
			);
		}
		throw new HttpError(
			400,
			'meta_error',
			`Meta refused the request${code ? ` (error ${code})` : ''}: ${body.error?.message ?? `HTTP ${response.status}`}`
		);
	}

	interface GraphPhoneNumber {
		id: string;
		display_phone_number?: string;
		verified_name?: string;
		code_verification_status?: string;
	}

	const listNumbers = async (credentials: MetaCredentials): Promise<ProviderNumber[]> => {
		if (!credentials.businessAccountId) return [];
		const { data } = await graphGet<{ data?: GraphPhoneNumber[] }>(
			`${encodeURIComponent(credentials.businessAccountId)}/phone_numbers`,
			credentials.accessToken,
			`WhatsApp Business Account with ID ${credentials.businessAccountId}`
		);
		return (data ?? []).flatMap((number) => {
			const phoneNumber = displayNumberToE164(number.display_phone_number);
			return phoneNumber
				? [
						{
							address: `whatsapp:${phoneNumber}`,
							phoneNumber,
							friendlyName: number.verified_name ?? '',
							status: number.code_verification_status ?? ''
						}
					]
				: [];
		});
	};

	return {
		provider: 'meta',

		async verifyCredentials(credentials): Promise<VerifiedCredentials> {
			const number = await graphGet<GraphPhoneNumber>(
				`${encodeURIComponent(credentials.phoneNumberId)}?fields=id,display_phone_number,verified_name`,
				credentials.accessToken,
				`phone number with ID ${credentials.phoneNumberId}`
			);
			if (credentials.businessAccountId) {
				const numbers = await graphGet<{ data?: GraphPhoneNumber[] }>(
					`${encodeURIComponent(credentials.businessAccountId)}/phone_numbers`,
					credentials.accessToken,
					`WhatsApp Business Account with ID ${credentials.businessAccountId}`
				);
				if (!(numbers.data ?? []).some((entry) => entry.id === credentials.phoneNumberId)) {
					throw new HttpError(
						400,
						'meta_business_account_mismatch',
						`The phone number ${credentials.phoneNumberId} does not belong to the WhatsApp Business Account ${credentials.businessAccountId}. Check both IDs in Meta's API Setup page, or leave the Business Account ID empty.`
					);
				}
			}
			return {
				accountName: number.verified_name ?? '',
				phoneNumber: displayNumberToE164(number.display_phone_number)
			};
		},

		listNumbers,

		async ensureAppSubscribed(credentials) {
			const wabaId = credentials.businessAccountId;
			if (!wabaId) return { status: 'unknown', sentence: null };
			const path = `${encodeURIComponent(wabaId)}/subscribed_apps`;
			const manualStep = `Subscribe it yourself (POST /${wabaId}/subscribed_apps with this token, e.g. in the Graph API Explorer; the token needs whatsapp_business_management): until then Meta sends no messages or statuses for this number to Parley.`;
			let present: boolean;
			try {
				const subscribed = await graphGet<{
					data?: { whatsapp_business_api_data?: { id?: string } }[];
				}>(path, credentials.accessToken, `WhatsApp Business Account with ID ${wabaId}`);
				const subscribedIds = (subscribed.data ?? []).flatMap(
					(entry) => entry.whatsapp_business_api_data?.id ?? []
				);
				// Some app is subscribed: whether it is the token's own app (`GET /app`); when Meta
				// will not say, that app is taken to be this one.
				const app =
					subscribedIds.length > 0
						? await graphGet<{ id?: string }>('app', credentials.accessToken, 'app').catch(
								() => null
							)
						: null;
				present = app?.id ? subscribedIds.includes(app.id) : subscribedIds.length > 0;
			} catch (error) {
				const code = error instanceof HttpError ? ` (${error.code})` : '';
				return {
					status: 'unknown',
					sentence: `Parley could not check whether your Meta app is subscribed to this WhatsApp Business Account${code}. ${manualStep}`
				};
			}
			if (present) return { status: 'present', sentence: null };
			let refusal: string | null = null;
			try {
				const response = await fetchImpl(`${base}/${path}`, {
					method: 'POST',
					headers: { Authorization: `Bearer ${credentials.accessToken}` },
					signal: AbortSignal.timeout(15_000)
				});
				const answer = (await response.json().catch(() => ({}))) as GraphError & {
					success?: boolean;
				};
				if (!response.ok || answer.success === false) {
					refusal = ` (error ${answer.error?.code ?? `HTTP ${response.status}`})`;
				}
			} catch {
				refusal = ' (Meta could not be reached)';
			}
			if (refusal !== null) {
				return {
					status: 'refused',
					sentence: `Meta did not let Parley subscribe your app to this WhatsApp Business Account${refusal}. ${manualStep}`
				};
			}
			return {
				status: 'subscribed',
				sentence:
					'Parley subscribed your Meta app to this WhatsApp Business Account, so its webhooks reach Parley.'
			};
		},

		async listTemplates(credentials) {
			const wabaId = credentials.businessAccountId;
			if (!wabaId) {
				throw new HttpError(
					409,
					'no_business_account',
					'Meta keeps templates in the WhatsApp Business Account, and this number has no Business Account ID. An owner or admin can add it in the number’s settings.'
				);
			}
			const templates: ProviderTemplate[] = [];
			let after: string | undefined;
			// A business has at most a few hundred templates; the page cap guards against a loop.
			for (let page = 0; page < 20; page++) {
				const query = new URLSearchParams({
					fields: 'id,name,language,status,category,components,rejected_reason',
					limit: '100',
					...(after ? { after } : {})
				});
				const answer = await graphGet<{
					data?: GraphTemplate[];
					paging?: { next?: string; cursors?: { after?: string } };
				}>(
					`${encodeURIComponent(wabaId)}/message_templates?${query}`,
					credentials.accessToken,
					`WhatsApp Business Account with ID ${wabaId}`
				);
				for (const entry of answer.data ?? []) {
					const template = templateFromGraph(entry);
					if (template) templates.push(template);
				}
				// Graph gives `next` only while there is another page.
				after = answer.paging?.next ? answer.paging.cursors?.after : undefined;
				if (!after) break;
			}
			return templates;
		}
	};
}

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

export interface MetaSendCredentials {
	phoneNumberId: string;
	accessToken: string;
}

/**
 * Who a Graph send goes to: the phone in `to` when known, else the user id in `recipient`. A user
 * id in `to` has been seen answered 200 and dropped, so it never goes there.
 */
function recipientFields(to: Recipient): Record<string, string> {
	if (to.waId) return { recipient_type: 'individual', to: to.waId };
	if (to.userId) return { recipient_type: 'individual', recipient: to.userId };
	throw new ProviderSendError(
		'no_recipient',
		'This customer has neither a phone number nor a WhatsApp user id to reply to.',
		false
	);
}

/** How many times a send Meta throttled (130429) is tried again before it fails. */
const throughputRetries = 3;
const throughputBaseDelayMs = 300;
/** A Retry-After longer than this is not waited for inside one request. */
const throughputMaxDelayMs = 5_000;

/**
 * The wait before retry `attempt` (0-based): Meta's Retry-After when it sends one, else exponential
 * backoff with jitter (half fixed, half random) so throttled senders do not retry in step.
 */
export function throughputBackoffMs(attempt: number, retryAfter: string | null): number {
	const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
	if (Number.isFinite(seconds) && seconds >= 0) {
		return Math.min(seconds * 1000, throughputMaxDelayMs);
	}
	const ceiling = Math.min(throughputBaseDelayMs * 2 ** attempt, throughputMaxDelayMs);
	return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sending through the Graph API and downloading media (GET /{media-id}, then the URL, both Bearer). */
export function createMetaMessagingAdapter(options: {
	graphUrl: string;
	fetch?: typeof fetch;
}): WhatsAppMessagingAdapter<MetaSendCredentials> {
	const base = graphBaseUrl(options.graphUrl);
	const fetchImpl = options.fetch ?? fetch;

	async function graph(
		url: string,
		accessToken: string,
		init: RequestInit = {}
	): Promise<Response> {
		for (let attempt = 0; ; attempt++) {
			let response: Response;
			try {
				response = await fetchImpl(url, {
					...init,
					headers: {
						Authorization: `Bearer ${accessToken}`,
						...(init.body ? { 'Content-Type': 'application/json' } : {})
					},
					signal: AbortSignal.timeout(30_000)
				});
			} catch {
				throw new ProviderSendError(
					'unreachable',
					'Parley could not reach Meta. Try again in a few minutes.',
					false,
					true
				);
			}
			if (response.ok) return response;
			const body = (await response.json().catch(() => ({}))) as GraphError & {
				error?: { error_data?: { details?: string } };
			};
			const code =
				body.error?.code === undefined ? String(response.status) : String(body.error.code);
			// Throughput (130429) clears within moments, so the same request is tried again; the
			// pair rate limit (131056) needs seconds per customer and is left to the person.
			if (response.status === 429 && code === '130429' && attempt < throughputRetries) {
				await sleep(throughputBackoffMs(attempt, response.headers.get('Retry-After')));
				continue;
			}
			throw new ProviderSendError(
				code,
				providerErrorSentence('meta', code, body.error?.error_data?.details ?? body.error?.message),
				isCredentialsError(code),
				response.status >= 500 || code === '130429'
			);
		}
	}

	return {
		provider: 'meta',

		async send(credentials, message) {
			const template = message.template;
			const payload = template
				? {
						messaging_product: 'whatsapp',
						...recipientFields(message.to),
						type: 'template',
						template: {
							name: template.name,
							language: { code: template.language ?? 'en_US' },
							components: template.components ?? templateComponents(template)
						}
					}
				: message.media
					? {
							messaging_product: 'whatsapp',
							...recipientFields(message.to),
							type: message.media.kind,
							// By link: Meta fetches the file itself, as Twilio does, so both send one way.
							[message.media.kind]: {
								link: message.media.url,
								...(message.text && message.media.kind !== 'audio'
									? { caption: message.text }
									: {}),
								...(message.media.kind === 'document' && message.media.filename
									? { filename: message.media.filename }
									: {})
							}
						}
					: {
							messaging_product: 'whatsapp',
							...recipientFields(message.to),
							type: 'text',
							text: { preview_url: false, body: message.text }
						};
			const response = await graph(
				`${base}/${encodeURIComponent(credentials.phoneNumberId)}/messages`,
				credentials.accessToken,
				{ method: 'POST', body: JSON.stringify(payload) }
			);
			const answer = (await response.json()) as { messages?: { id?: string }[] };
			const id = answer.messages?.[0]?.id;
			if (!id) {
				throw new ProviderSendError(
					'no_id',
					'Meta accepted the message but did not say which it was. It may or may not arrive.',
					false,
					true
				);
			}
			return { providerMessageId: id, status: 'queued' };
		},

		async markRead(credentials, providerMessageId) {
			const response = await graph(
				`${base}/${encodeURIComponent(credentials.phoneNumberId)}/messages`,
				credentials.accessToken,
				{
					method: 'POST',
					body: JSON.stringify({
						messaging_product: 'whatsapp',
						status: 'read',
						message_id: providerMessageId
					})
				}
			);
			await response.body?.cancel();
		},

		async fetchMedia(credentials, providerRef) {
			const lookup = await graph(
				`${base}/${encodeURIComponent(providerRef)}`,
				credentials.accessToken
			);
			const media = (await lookup.json()) as { url?: string; mime_type?: string };
			if (!media.url) {
				throw new ProviderSendError('no_url', 'Meta no longer has this media file.', false);
			}
			const download = await graph(media.url, credentials.accessToken);
			return {
				body: download.body,
				contentType:
					media.mime_type ?? download.headers.get('Content-Type') ?? 'application/octet-stream'
			};
		}
	};
}

/** Text parameters: positional keys ('1', '2'…) iterate in numeric order; named ones say which. */
function textParameters(variables: Record<string, string>) {
	return Object.entries(variables).map(([key, text]) =>
		/^\d+$/.test(key) ? { type: 'text', text } : { type: 'text', parameter_name: key, text }
	);
}

/** The Graph `components` of a template send: header values or media, body values, URL suffixes. */
export function templateComponents(template: TemplateReference): unknown[] {
	const components: unknown[] = [];
	if (template.headerMedia) {
		const { type, link } = template.headerMedia;
		components.push({ type: 'header', parameters: [{ type, [type]: { link } }] });
	} else if (template.headerVariables && Object.keys(template.headerVariables).length > 0) {
		components.push({ type: 'header', parameters: textParameters(template.headerVariables) });
	}
	if (template.variables && Object.keys(template.variables).length > 0) {
		components.push({ type: 'body', parameters: textParameters(template.variables) });
	}
	for (const [index, text] of Object.entries(template.buttonVariables ?? {})) {
		components.push({
			type: 'button',
			sub_type: 'url',
			index,
			parameters: [{ type: 'text', text }]
		});
	}
	return components;
}

interface GraphTemplateButton {
	type?: string;
	text?: string;
	url?: string;
	phone_number?: string;
	example?: string[] | string;
}

interface GraphTemplateComponent {
	type?: string;
	format?: string;
	text?: string;
	example?: {
		header_text?: string[];
		header_text_named_params?: { param_name?: string; example?: string }[];
		header_handle?: string[];
		body_text?: string[][];
		body_text_named_params?: { param_name?: string; example?: string }[];
	};
	buttons?: GraphTemplateButton[];
}

interface GraphTemplate {
	id?: string;
	name?: string;
	language?: string;
	status?: string;
	category?: string;
	rejected_reason?: string;
	components?: GraphTemplateComponent[];
}

/** Placeholders of a text with Graph's examples (positional by place, named by name). */
function variablesWithExamples(
	text: string,
	positional: (string | undefined)[],
	named: { param_name?: string; example?: string }[] | undefined
): TemplateVariable[] {
	const byName = new Map((named ?? []).map((param) => [param.param_name, param.example]));
	return templatePlaceholders(text).map((key) => ({
		key,
		example: /^\d+$/.test(key) ? (positional[Number(key) - 1] ?? null) : (byName.get(key) ?? null)
	}));
}

const headerFormats = new Set(['text', 'image', 'video', 'document', 'location']);

/** A Graph template button as stored; a URL's example is the whole address, kept as its suffix. */
function buttonFromGraph(button: GraphTemplateButton): TemplateButton {
	const type = (button.type ?? '').toUpperCase();
	const text = button.text ?? '';
	if (type === 'URL') {
		const url = button.url ?? '';
		const example = [button.example ?? []].flat()[0];
		const prefix = url.split('{{')[0];
		return {
			type: 'url',
			text,
			url,
			variables: templatePlaceholders(url).map((key) => ({
				key,
				example: example
					? example.startsWith(prefix)
						? example.slice(prefix.length)
						: example
					: null
			}))
		};
	}
	if (type === 'PHONE_NUMBER')
		return { type: 'phone_number', text, phone_number: button.phone_number ?? null };
	if (type === 'QUICK_REPLY') return { type: 'quick_reply', text };
	if (type === 'COPY_CODE') return { type: 'copy_code', text: text || 'Copy code' };
	return { type: 'other', text };
}

/** A Graph message template as stored; one without a body or an id is skipped. */
function templateFromGraph(entry: GraphTemplate): ProviderTemplate | undefined {
	const component = (type: string) =>
		entry.components?.find((candidate) => candidate.type?.toUpperCase() === type);
	const body = component('BODY');
	if (!entry.id || !entry.name || !body?.text) return undefined;
	const header = component('HEADER');
	const format = header ? (header.format ?? 'TEXT').toLowerCase() : null;
	const headerFormat =
		format && headerFormats.has(format) ? (format as TemplateHeaderFormat) : null;
	const headerText = headerFormat === 'text' ? (header?.text ?? null) : null;
	return {
		provider_template_id: entry.id,
		name: entry.name,
		language: entry.language ?? 'en_US',
		category: entry.category ?? null,
		status: (entry.status ?? 'unknown').toLowerCase(),
		rejection_reason:
			entry.rejected_reason && entry.rejected_reason !== 'NONE' ? entry.rejected_reason : null,
		header: headerText,
		header_format: headerFormat,
		header_variables: headerText
			? variablesWithExamples(
					headerText,
					header?.example?.header_text ?? [],
					header?.example?.header_text_named_params
				)
			: [],
		body: body.text,
		footer: component('FOOTER')?.text ?? null,
		variables: variablesWithExamples(
			body.text,
			body.example?.body_text?.[0] ?? [],
			body.example?.body_text_named_params
		),
		buttons: (component('BUTTONS')?.buttons ?? []).map(buttonFromGraph)
	};
}

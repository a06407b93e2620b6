/**
 * Twilio adapter, through the official `twilio` SDK over Parley's fetch http client
 * (twilio-fetch-http.ts). With TWILIO_API_URL set (dev and tests) its requests go to the provider
 * sandbox instead of *.twilio.com. This module checks credentials and lists the account's numbers
 * and Content templates; webhooks are read in twilio-webhook.ts, messages sent in twilio-messaging.ts.
 */
import twilio from 'twilio';
import { HttpError } from '../http.ts';
import { createTwilioFetchHttpClient } from './twilio-fetch-http.ts';
import {
	templatePlaceholders,
	type MediaHeaderFormat,
	type TemplateButton
} from '../template-text.ts';
import type {
	ProviderNumber,
	ProviderTemplate,
	VerifiedCredentials,
	WhatsAppProviderAdapter
} from './provider.ts';

export interface TwilioCredentials {
	accountSid: string;
	authToken: string;
}

/** The SDK's error shape (RestException), matched by its fields so no internal path is imported. */
export interface TwilioRestError {
	status: number;
	code?: number;
	message: string;
}

/** Whether an error is the SDK's RestException. */
export function isTwilioRestError(error: unknown): error is TwilioRestError {
	return (
		typeof error === 'object' &&
		error !== null &&
		typeof (error as { status?: unknown }).status === 'number'
	);
}

/** Twilio's answer as an HttpError a person can act on (20003 → check the SID and token). */
export function twilioFailure(error: unknown): HttpError {
	if (isTwilioRestError(error)) {
		if (error.code === 20003 || error.status === 401) {
			return new HttpError(
				400,
				'twilio_credentials_rejected',
				`Twilio rejected these credentials (error ${error.code ?? 20003}). Check the Account SID and Auth Token.`
			);
		}
		if (error.status === 429 || error.code === 20429) {
			return new HttpError(
				502,
				'provider_rate_limited',
				'Twilio is receiving too many requests from this account right now. Try again in a minute.'
			);
		}
		if (error.status >= 500) {
			return new HttpError(
				502,
				'provider_unavailable',
				`Twilio is not answering properly right now (HTTP ${error.status}). Try again in a few minutes.`
			);
		}
		return new HttpError(
			400,
			'twilio_error',
			`Twilio refused the request${error.code ? ` (error ${error.code})` : ''}: ${error.message}`
		);
	}
	return new HttpError(
		502,
		'provider_unavailable',
		'Parley could not reach Twilio. Try again in a few minutes.'
	);
}

/**
 * Twilio's shared WhatsApp Sandbox number. Every Twilio account can use it and none lists it (as a
 * sender or an incoming number), so ownership cannot be checked; Twilio keeps each account's
 * sandbox apart (deliveries carry the account's SID and signature), and so does Parley.
 */
export const twilioSandboxAddress = 'whatsapp:+14155238886';

/** The Twilio adapter: the common one, plus the ownership check before connecting an address. */
export interface TwilioAdapter extends WhatsAppProviderAdapter<TwilioCredentials> {
	/**
	 * Whether the account owns `address` (`whatsapp:+E164`): one of its WhatsApp senders, or one of
	 * its incoming phone numbers. Throws an HttpError with a sentence when Twilio cannot say.
	 */
	ownsAddress(credentials: TwilioCredentials, address: string): Promise<boolean>;
}

/** A Twilio SDK client; `apiUrl` sends its requests to the sandbox. */
/** The SDK client for one account, talking through Parley's fetch http client. */
export function twilioClient(
	{ accountSid, authToken }: TwilioCredentials,
	apiUrl: string | undefined
) {
	return twilio(accountSid, authToken, {
		// The SDK types httpClient as its own RequestClient class; it only ever calls request().
		httpClient: createTwilioFetchHttpClient(apiUrl) as unknown as undefined,
		autoRetry: false
	});
}

/** Creates the Twilio adapter; `apiUrl` points the SDK at the sandbox instead of *.twilio.com. */
export function createTwilioAdapter(options: { apiUrl?: string } = {}): TwilioAdapter {
	const clientFor = (credentials: TwilioCredentials) => twilioClient(credentials, options.apiUrl);

	return {
		provider: 'twilio',

		async verifyCredentials(credentials): Promise<VerifiedCredentials> {
			let account;
			try {
				account = await clientFor(credentials).api.v2010.accounts(credentials.accountSid).fetch();
			} catch (error) {
				throw twilioFailure(error);
			}
			if (account.status !== 'active') {
				throw new HttpError(
					400,
					'twilio_account_inactive',
					`This Twilio account is ${account.status}. Reactivate it in the Twilio Console or use another account.`
				);
			}
			return { accountName: account.friendlyName };
		},

		async listNumbers(credentials): Promise<ProviderNumber[]> {
			try {
				const senders = await clientFor(credentials).messaging.v2.channelsSenders.list({
					channel: 'whatsapp',
					limit: 1000
				});
				return senders
					.filter((sender) => sender.senderId?.startsWith('whatsapp:+'))
					.map((sender) => ({
						address: sender.senderId,
						phoneNumber: sender.senderId.slice('whatsapp:'.length),
						friendlyName: (sender.profile as { name?: string } | null)?.name ?? '',
						status: String(sender.status ?? '')
					}));
			} catch (error) {
				throw twilioFailure(error);
			}
		},

		async ownsAddress(credentials, address) {
			const phoneNumber = address.replace(/^whatsapp:/, '');
			try {
				const client = clientFor(credentials);
				const senders = await client.messaging.v2.channelsSenders.list({
					channel: 'whatsapp',
					limit: 1000
				});
				if (senders.some((sender) => sender.senderId === address)) return true;
				const incoming = await client.api.v2010
					.accounts(credentials.accountSid)
					.incomingPhoneNumbers.list({ phoneNumber, limit: 20 });
				return incoming.some((number) => number.phoneNumber === phoneNumber);
			} catch (error) {
				throw twilioFailure(error);
			}
		},

		async listTemplates(credentials) {
			try {
				const contents = await clientFor(credentials).content.v1.contentAndApprovals.list({
					pageSize: 500,
					limit: 2000
				});
				return contents.flatMap((content) => {
					const template = templateFromContent(content);
					return template ? [template] : [];
				});
			} catch (error) {
				throw twilioFailure(error);
			}
		}
	};
}

/** Checks `X-Twilio-Signature` with the SDK, over the exact public URL Twilio requested. */

interface ContentAction {
	type?: string;
	title?: string;
	id?: string;
	url?: string;
	phone?: string;
	code?: string;
}

interface ContentType {
	body?: string;
	title?: string;
	subtitle?: string;
	footer?: string;
	header_text?: string;
	media?: string[];
	actions?: ContentAction[];
}

/** The Content types that can go out on WhatsApp, the richest first. */
const contentTypePreference = [
	'whatsapp/card',
	'twilio/card',
	'twilio/call-to-action',
	'twilio/quick-reply',
	'twilio/media',
	'twilio/text'
];

/** What a media URL most likely is, by its extension; images are the common case. */
function mediaFormat(url: string): MediaHeaderFormat {
	const path = url.split(/[?#]/)[0].toLowerCase();
	if (/\.(mp4|3gp|mov)$/.test(path)) return 'video';
	if (/\.(pdf|docx?|xlsx?|pptx?|txt|csv)$/.test(path)) return 'document';
	return 'image';
}

/** A Content action as a stored button; quick replies without a type are QUICK_REPLY. */
function buttonFromAction(action: ContentAction, quickReplies: boolean): TemplateButton {
	const type = (action.type ?? (quickReplies ? 'QUICK_REPLY' : '')).toUpperCase();
	const text = action.title ?? '';
	if (type === 'URL') return { type: 'url', text, url: action.url ?? null };
	if (type === 'PHONE_NUMBER' || type === 'PHONE')
		return { type: 'phone_number', text, phone_number: action.phone ?? null };
	if (type === 'QUICK_REPLY') return { type: 'quick_reply', text };
	if (type === 'COPY_CODE') return { type: 'copy_code', text: text || 'Copy code' };
	return { type: 'other', text };
}

/**
 * A Content API entry as stored, from its richest WhatsApp type: a card's title is the body and its
 * subtitle the footer (as WhatsApp shows them), media makes a media header, actions are buttons.
 * Every placeholder, wherever it sits, is one of the template's variables (Twilio numbers them as
 * one), with the Content's sample values.
 */
function templateFromContent(content: {
	sid: string;
	friendlyName: string;
	language: string;
	variables: Record<string, unknown> | null;
	types: Record<string, unknown> | null;
	approvalRequests: Record<string, unknown> | null;
}): ProviderTemplate | undefined {
	const types = (content.types ?? {}) as Record<string, ContentType | null>;
	const name =
		contentTypePreference.find((candidate) => types[candidate]) ??
		Object.keys(types).find((candidate) => typeof types[candidate]?.body === 'string');
	const type = name ? types[name] : undefined;
	if (!name || !type) return undefined;
	const body = (name === 'twilio/card' ? type.title || type.subtitle : type.body) ?? '';
	if (!body) return undefined;
	const footer =
		(name === 'twilio/card' ? (type.title ? type.subtitle : undefined) : type.footer) || null;
	const media = type.media?.[0];
	const header = name === 'whatsapp/card' ? type.header_text || null : null;
	const buttons = (type.actions ?? []).map((action) =>
		buttonFromAction(action, name === 'twilio/quick-reply')
	);
	// The approval is flat on ContentAndApprovals; the ApprovalRequests resource nests it under `whatsapp`.
	const approval = (content.approvalRequests?.whatsapp ?? content.approvalRequests ?? {}) as {
		status?: string;
		category?: string;
		rejection_reason?: string;
	};
	const samples = content.variables ?? {};
	const everyText = [
		header ?? '',
		media ?? '',
		body,
		footer ?? '',
		...buttons.map((button) => `${button.text} ${button.url ?? ''}`)
	].join('\n');
	return {
		provider_template_id: content.sid,
		name: content.friendlyName,
		language: content.language,
		category: approval.category ?? null,
		// Content never submitted to WhatsApp has no approval at all.
		status: (approval.status || 'unsubmitted').toLowerCase(),
		rejection_reason: approval.rejection_reason || null,
		header,
		header_format: media ? mediaFormat(media) : header ? 'text' : null,
		header_variables: [],
		body,
		footer,
		variables: templatePlaceholders(everyText).map((key) => ({
			key,
			example: typeof samples[key] === 'string' ? (samples[key] as string) : null
		})),
		buttons
	};
}

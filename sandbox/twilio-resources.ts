/**
 * Twilio's resources as its REST API answers them (Message, Account, IncomingPhoneNumber, Content
 * and its approval) and its two paging envelopes, for the Twilio stand-in's routes.
 */
import type { Context } from 'hono';
import { rfc2822 } from './http.ts';
import type { SandboxMessage, TwilioAccount, TwilioNumber, TwilioTemplate } from './state.ts';

/** The Message resource as Twilio's 2010-04-01 API returns it. */
export function twilioMessageJson(
	message: SandboxMessage,
	dateCreated = new Date(message.createdAt)
) {
	const uri = `/2010-04-01/Accounts/${message.owner}/Messages/${message.id}.json`;
	const outbound = message.direction === 'outbound';
	return {
		account_sid: message.owner,
		api_version: '2010-04-01',
		body: message.body,
		date_created: rfc2822(dateCreated),
		date_sent:
			message.status === 'queued' || message.status === 'accepted' ? null : rfc2822(dateCreated),
		date_updated: rfc2822(dateCreated),
		direction: outbound ? 'outbound-api' : 'inbound',
		error_code: message.errorCode ?? null,
		error_message: message.errorMessage ?? null,
		from: `whatsapp:${outbound ? message.business : message.customer}`,
		messaging_service_sid: message.messagingServiceSid ?? null,
		num_media: String(message.media.length),
		num_segments: '1',
		price: null,
		price_unit: 'USD',
		sid: message.id,
		status: message.status,
		subresource_uris: { media: uri.replace('.json', '/Media.json') },
		to: `whatsapp:${outbound ? message.customer : message.business}`,
		uri
	};
}

export function accountJson(account: TwilioAccount) {
	const uri = `/2010-04-01/Accounts/${account.sid}.json`;
	return {
		auth_token: account.authToken,
		date_created: rfc2822(account.dateCreated),
		date_updated: rfc2822(account.dateCreated),
		friendly_name: account.friendlyName,
		owner_account_sid: account.sid,
		sid: account.sid,
		status: account.status,
		subresource_uris: {
			incoming_phone_numbers: uri.replace('.json', '/IncomingPhoneNumbers.json'),
			messages: uri.replace('.json', '/Messages.json')
		},
		type: 'Full',
		uri
	};
}

export function incomingNumberJson(number: TwilioNumber, fallbackWebhook: string | undefined) {
	return {
		account_sid: number.accountSid,
		address_requirements: 'none',
		api_version: '2010-04-01',
		beta: false,
		capabilities: { fax: false, mms: true, sms: true, voice: true },
		date_created: rfc2822(new Date('2025-01-01T00:00:00Z')),
		date_updated: rfc2822(new Date('2025-01-01T00:00:00Z')),
		friendly_name: number.friendlyName,
		origin: 'twilio',
		phone_number: number.phoneNumber,
		sid: number.sid,
		sms_method: 'POST',
		sms_url: number.webhookUrl ?? fallbackWebhook ?? '',
		status: 'in-use',
		status_callback: number.statusCallbackUrl ?? '',
		status_callback_method: 'POST',
		uri: `/2010-04-01/Accounts/${number.accountSid}/IncomingPhoneNumbers/${number.sid}.json`
	};
}

export function contentJson(template: TwilioTemplate, origin: string) {
	const url = `${origin}/v1/Content/${template.sid}`;
	return {
		account_sid: template.accountSid,
		date_created: template.dateCreated.toISOString(),
		date_updated: template.dateCreated.toISOString(),
		friendly_name: template.friendlyName,
		language: template.language,
		links: {
			approval_create: `${url}/ApprovalRequests/whatsapp`,
			approval_fetch: `${url}/ApprovalRequests`
		},
		sid: template.sid,
		types: template.card
			? { 'twilio/card': template.card }
			: { 'twilio/text': { body: template.body } },
		url,
		variables: template.variables
	};
}

export function approvalJson(template: TwilioTemplate) {
	return {
		category: template.category,
		content_type: template.card ? 'twilio/card' : 'twilio/text',
		name: template.friendlyName,
		rejection_reason:
			template.approvalStatus === 'rejected' ? 'The template was rejected in the sandbox.' : '',
		status: template.approvalStatus,
		type: 'whatsapp'
	};
}

/** Slices a list the way Twilio pages do (`Page`, `PageSize`), with Twilio's 2010 paging fields. */
export function page2010<T>(c: Context, key: string, items: T[]) {
	const pageSize = Math.min(Math.max(Number(c.req.query('PageSize') ?? 50) || 50, 1), 1000);
	const page = Math.max(Number(c.req.query('Page') ?? 0) || 0, 0);
	const start = page * pageSize;
	const slice = items.slice(start, start + pageSize);
	const path = c.req.path;
	const next =
		start + pageSize < items.length ? `${path}?PageSize=${pageSize}&Page=${page + 1}` : null;
	return {
		[key]: slice,
		end: start + Math.max(slice.length - 1, 0),
		first_page_uri: `${path}?PageSize=${pageSize}&Page=0`,
		next_page_uri: next,
		page,
		page_size: pageSize,
		previous_page_uri: page > 0 ? `${path}?PageSize=${pageSize}&Page=${page - 1}` : null,
		start,
		uri: `${path}?PageSize=${pageSize}&Page=${page}`
	};
}

/** Twilio's v1/v2 paging envelope (`meta.key`), used by Content and Senders. */
export function pageV1<T>(c: Context, key: string, items: T[]) {
	const url = new URL(c.req.url);
	return {
		[key]: items,
		meta: {
			first_page_url: url.href,
			key,
			next_page_url: null,
			page: 0,
			page_size: items.length || 50,
			previous_page_url: null,
			url: url.href
		}
	};
}

/**
 * Sending through Meta's Cloud API: text, templates and attachments to a customer, read marks,
 * and inbound media downloads, with Graph's refusals as sentences (ProviderSendError).
 */
import { isCredentialsError, providerErrorSentence } from '../pipeline-errors.ts';
import { graphBaseUrl, type GraphError } from './meta-graph.ts';
import {
	ProviderSendError,
	type Recipient,
	type TemplateReference,
	type WhatsAppMessagingAdapter
} from './provider.ts';

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

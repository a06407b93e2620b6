/**
 * Sending through Twilio: text, Content templates and attachments, read marks through the Typing
 * Indicators API, and inbound media downloads, with Twilio's refusals as sentences.
 */
import { isCredentialsError, providerErrorSentence } from '../pipeline-errors.ts';
import { rewriteTwilioUrl } from './twilio-fetch-http.ts';
import { isTwilioRestError, twilioClient, type TwilioCredentials } from './twilio.ts';
import { ProviderSendError, type Recipient, type WhatsAppMessagingAdapter } from './provider.ts';

export interface TwilioSendCredentials extends TwilioCredentials {
	/** The number's `whatsapp:+E164` address. */
	from: string;
}

/** A Twilio error as a ProviderSendError with a sentence. */
function twilioSendFailure(error: unknown): ProviderSendError {
	if (isTwilioRestError(error)) {
		const code = error.code
			? String(error.code)
			: error.status === 401
				? '20003'
				: String(error.status);
		return new ProviderSendError(
			code,
			providerErrorSentence('twilio', code, error.message),
			isCredentialsError(code),
			error.status >= 500
		);
	}
	return new ProviderSendError(
		'unreachable',
		'Parley could not reach Twilio. Try sending again in a few minutes.',
		false,
		true
	);
}

/**
 * Twilio's `To` for a customer: their phone. Whether Twilio takes `whatsapp:<user id>` is not
 * confirmed (one real report says error 21211), so a username customer without a known phone is
 * refused in words before anything is sent.
 */
function twilioRecipient(to: Recipient): string {
	if (to.waId) return `whatsapp:+${to.waId}`;
	throw new ProviderSendError(
		'no_phone',
		'This customer writes from a WhatsApp username and has not shared a phone number; Twilio can only reply to a phone number. Ask them to share their number, or reply from a Meta number.',
		false
	);
}

function isRedirect(status: number): boolean {
	return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Sending through Twilio (SDK `messages.create`) and downloading media with Basic auth. */
export function createTwilioMessagingAdapter(
	options: { apiUrl?: string; fetch?: typeof fetch } = {}
): WhatsAppMessagingAdapter<TwilioSendCredentials> {
	const fetchImpl = options.fetch ?? fetch;
	return {
		provider: 'twilio',

		async send(credentials, message) {
			const to = twilioRecipient(message.to);
			try {
				const sent = await twilioClient(credentials, options.apiUrl).messages.create({
					from: credentials.from,
					to,
					...(message.template
						? {
								contentSid: message.template.contentSid,
								...(message.template.variables
									? { contentVariables: JSON.stringify(message.template.variables) }
									: {})
							}
						: message.media
							? {
									// Twilio fetches the file and checks its Content-Type; the caption rides in Body.
									mediaUrl: [message.media.url],
									...(message.text ? { body: message.text } : {})
								}
							: { body: message.text }),
					...(message.statusCallbackUrl ? { statusCallback: message.statusCallbackUrl } : {})
				});
				return { providerMessageId: sent.sid, status: sent.status === 'sent' ? 'sent' : 'queued' };
			} catch (error) {
				throw twilioSendFailure(error);
			}
		},

		// Twilio's Typing Indicators API (public beta) marks the referenced inbound message read
		// (WhatsApp's blue ticks) and shows "typing…" to the customer for a moment.
		async markRead(credentials, providerMessageId) {
			try {
				await twilioClient(credentials, options.apiUrl).messaging.v2.typingIndicator.create({
					channel: 'whatsapp',
					messageId: providerMessageId
				});
			} catch (error) {
				throw twilioSendFailure(error);
			}
		},

		async fetchMedia(credentials, providerRef) {
			const target = new URL(
				options.apiUrl ? rewriteTwilioUrl(providerRef, options.apiUrl) : providerRef
			);
			const allowed =
				target.hostname === 'twilio.com' ||
				target.hostname.endsWith('.twilio.com') ||
				(options.apiUrl !== undefined && target.origin === new URL(options.apiUrl).origin);
			if (!allowed) {
				throw new ProviderSendError('media_url', 'This media is not stored at Twilio.', false);
			}
			let response: Response;
			let fromCdn = false;
			try {
				// Twilio answers with a redirect to a signed CDN URL: followed here, without the
				// account's credentials, which the CDN must never see (and refuses).
				response = await fetchImpl(target, {
					headers: {
						Authorization: `Basic ${btoa(`${credentials.accountSid}:${credentials.authToken}`)}`
					},
					redirect: 'manual',
					signal: AbortSignal.timeout(30_000)
				});
				for (let hops = 0; isRedirect(response.status) && hops < 5; hops++) {
					fromCdn = true;
					const location = response.headers.get('Location');
					await response.body?.cancel();
					if (!location) break;
					response = await fetchImpl(new URL(location, response.url || target), {
						redirect: 'manual',
						signal: AbortSignal.timeout(30_000)
					});
				}
			} catch {
				throw new ProviderSendError(
					'unreachable',
					'Parley could not reach Twilio to fetch this media. Try again in a few minutes.',
					false,
					true
				);
			}
			if (!response.ok) {
				await response.body?.cancel();
				// Only Twilio's own 401 is about the account's credentials, never the CDN's refusal.
				const credentialsRejected = response.status === 401 && !fromCdn;
				const code = credentialsRejected ? '20003' : String(response.status);
				throw new ProviderSendError(
					code,
					credentialsRejected
						? providerErrorSentence('twilio', code)
						: 'Twilio no longer has this media file.',
					credentialsRejected,
					response.status >= 500
				);
			}
			return {
				body: response.body,
				contentType: response.headers.get('Content-Type') ?? 'application/octet-stream'
			};
		}
	};
}

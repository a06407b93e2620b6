/** The addresses providers call Parley's functions at (PARLEY_PUBLIC_FUNCTIONS_URL, behind proxies). */
import type { ProviderFunctionConfig } from './config.ts';

/** The public URL of a function, as a provider calls it (with the request's query, when given). */
export function publicFunctionUrl(
	config: ProviderFunctionConfig,
	slug: string,
	request?: Request
): string {
	return `${config.publicFunctionsUrl}/${slug}${request ? new URL(request.url).search : ''}`;
}

/**
 * Twilio's connection overrides for Parley's webhook: by default Twilio never retries a webhook
 * that answered 5xx, which would lose a message Parley could not store; with these it tries up to
 * three more times on any failure. Twilio keeps the fragment to itself: it is neither sent nor part
 * of the URL the request carries.
 */
export const twilioConnectionOverrides = '#rc=3&rp=all';

/** The twilio-webhook URL to give Twilio (number settings and status callbacks), overrides included. */
export function twilioWebhookUrl(config: ProviderFunctionConfig): string {
	return publicFunctionUrl(config, 'twilio-webhook') + twilioConnectionOverrides;
}

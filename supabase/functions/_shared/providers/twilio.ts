/**
 * Twilio adapter, through the official `twilio` SDK. With TWILIO_API_URL set (dev and tests) the
 * SDK's requests go to the provider sandbox through twilio-sandbox-http.ts.
 */
import twilio from 'npm:twilio@6';
import { HttpError } from '../http.ts';
import { createTwilioSandboxHttpClient } from './twilio-sandbox-http.ts';
import type { ProviderNumber, VerifiedCredentials, WhatsAppProviderAdapter } from './provider.ts';

export interface TwilioCredentials {
	accountSid: string;
	authToken: string;
}

/** The SDK's error shape (RestException), matched by its fields so no internal path is imported. */
interface TwilioRestError {
	status: number;
	code?: number;
	message: string;
}

function isTwilioRestError(error: unknown): error is TwilioRestError {
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

/** Creates the Twilio adapter; `apiUrl` points the SDK at the sandbox instead of *.twilio.com. */
export function createTwilioAdapter(
	options: { apiUrl?: string } = {}
): WhatsAppProviderAdapter<TwilioCredentials> {
	const clientFor = ({ accountSid, authToken }: TwilioCredentials) =>
		twilio(accountSid, authToken, {
			// The SDK types httpClient as its own RequestClient class; it only ever calls request().
			httpClient: options.apiUrl
				? (createTwilioSandboxHttpClient(options.apiUrl) as unknown as undefined)
				: undefined,
			autoRetry: false
		});

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
		}
	};
}

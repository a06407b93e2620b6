/**
 * Meta WhatsApp Cloud API adapter: plain fetch against the Graph API (META_GRAPH_URL; the sandbox
 * in dev and tests). Credentials belong to one number: its phone number id and an access token.
 */
import { HttpError } from '../http.ts';
import type { ProviderNumber, VerifiedCredentials, WhatsAppProviderAdapter } from './provider.ts';

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

/** The Graph base with a version: a URL without one (the sandbox's root) gets /v21.0. */
export function graphBaseUrl(configured: string): string {
	const base = configured.replace(/\/+$/, '');
	return /\/v\d+\.\d+$/.test(base) ? base : `${base}/v21.0`;
}

/** Converts Meta's display form (`+1 555-000-1111`, `15550001111`) to `+E164`, or undefined. */
export function displayNumberToE164(display: string | undefined): string | undefined {
	const digits = (display ?? '').replace(/\D/g, '');
	return /^[1-9]\d{6,14}$/.test(digits) ? `+${digits}` : undefined;
}

/** Creates the Meta adapter. */
export function createMetaAdapter(options: {
	graphUrl: string;
	fetch?: typeof fetch;
}): WhatsAppProviderAdapter<MetaCredentials> {
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

		listNumbers
	};
}

/**
 * What every Meta module shares: a number's credentials, the Graph API's address and version, its
 * error envelope, and Meta's display form of a phone number.
 */

/** One number's credentials: its phone number id and an access token. */
export interface MetaCredentials {
	phoneNumberId: string;
	accessToken: string;
	/** WhatsApp Business Account id; when given, the number must belong to it. */
	businessAccountId?: string | null;
}

/** Graph's error envelope. */
export interface GraphError {
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

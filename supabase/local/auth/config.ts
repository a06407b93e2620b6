import { loadSupabaseConfig, type AuthSettings } from '../config.ts';
import type { AccountLockConfig, RateLimitConfig } from './rate-limits.ts';

/** The `[auth]` settings of supabase/config.toml the local Auth honours, in the shape its code uses. */
export interface AuthConfig {
	siteUrl: string;
	additionalRedirectUrls: string[];
	/** Access-token lifetime in seconds. */
	jwtExpiry: number;
	minimumPasswordLength: number;
	/** `password_requirements`: character sets a password must use one character of each. */
	requiredCharacters: string[];
	enableSignup: boolean;
	/** `enable_anonymous_sign_ins`: a sign-up with neither email nor phone makes an anonymous user. */
	enableAnonymousSignIns: boolean;
	/** `[auth.email] enable_confirmations = false` means new email users are confirmed at once. */
	mailerAutoconfirm: boolean;
	/** `[auth.sms] enable_confirmations = false`; with both on, a repeated sign-up is not told apart. */
	phoneAutoconfirm: boolean;
	/** Whether a replayed refresh token outside the reuse interval revokes its whole session's tokens. */
	refreshTokenRotation: boolean;
	/** Seconds a rotated refresh token may still be used (a client that lost the answer retries). */
	refreshTokenReuseInterval: number;
	/** Seconds an emailed link or code stays valid. */
	otpExpiry: number;
	otpLength: number;
	/** `[auth.rate_limit]`: requests per client address. */
	rateLimits: RateLimitConfig;
	/** Not a GoTrue setting: the local stack's refusal of an account after repeated wrong passwords. */
	accountLock: AccountLockConfig;
}

/** Ten wrong passwords within 15 minutes refuse the account (from any address) until they age out. */
const ACCOUNT_LOCK: AccountLockConfig = { failures: 10, windowMs: 15 * 60_000 };

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const SYMBOLS = '!@#$%^&*()_+-=[]{};\'\\:"|<>?,./`~';

/** GoTrue's character sets for each `password_requirements` value. */
const REQUIRED_CHARACTERS: Record<AuthSettings['password_requirements'], string[]> = {
	'': [],
	letters_digits: [LOWER + UPPER, DIGITS],
	lower_upper_letters_digits: [LOWER, UPPER, DIGITS],
	lower_upper_letters_digits_symbols: [LOWER, UPPER, DIGITS, SYMBOLS]
};

/** Maps the validated `[auth]` table onto what the local Auth reads. */
export function authConfigFrom(auth: AuthSettings): AuthConfig {
	return {
		siteUrl: auth.site_url,
		additionalRedirectUrls: auth.additional_redirect_urls,
		jwtExpiry: auth.jwt_expiry,
		// GoTrue never accepts fewer than 6 characters, whatever the setting says.
		minimumPasswordLength: Math.max(6, auth.minimum_password_length),
		requiredCharacters: REQUIRED_CHARACTERS[auth.password_requirements],
		enableSignup: auth.enable_signup && auth.email.enable_signup,
		enableAnonymousSignIns: auth.enable_anonymous_sign_ins,
		mailerAutoconfirm: !auth.email.enable_confirmations,
		phoneAutoconfirm: !auth.sms.enable_confirmations,
		refreshTokenRotation: auth.enable_refresh_token_rotation,
		refreshTokenReuseInterval: auth.refresh_token_reuse_interval,
		otpExpiry: auth.email.otp_expiry,
		otpLength: auth.email.otp_length,
		rateLimits: {
			signInSignUps: auth.rate_limit.sign_in_sign_ups,
			tokenRefresh: auth.rate_limit.token_refresh,
			tokenVerifications: auth.rate_limit.token_verifications,
			anonymousUsers: auth.rate_limit.anonymous_users
		},
		accountLock: ACCOUNT_LOCK
	};
}

/** Reads the auth settings from `<supabaseDir>/config.toml`, falling back to `supabase init` defaults. */
export async function loadAuthConfig(supabaseDir: string): Promise<AuthConfig> {
	return authConfigFrom((await loadSupabaseConfig(supabaseDir)).auth);
}

/** A glob of additional_redirect_urls as GoTrue reads it: `**` spans anything, `*` stops at `/` and `.`. */
function globToRegExp(glob: string): RegExp {
	const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
	const pattern = escaped.replace(/\*\*|\*/g, (star) => (star === '**' ? '.*' : '[^/.]*'));
	return new RegExp(`^${pattern}$`);
}

/**
 * Whether Auth may send a browser to `url`: the site_url's host, a glob of additional_redirect_urls,
 * or any path under the origin of a listed URL (so `http://127.0.0.1:5173` allows its callback routes).
 */
export function isRedirectAllowed(config: AuthConfig, url: string): boolean {
	let target: URL;
	try {
		target = new URL(url);
	} catch {
		return false;
	}
	try {
		if (new URL(config.siteUrl).hostname === target.hostname) return true;
	} catch {
		// An unparsable site_url allows nothing by host.
	}
	return config.additionalRedirectUrls.some((allowed) => {
		if (globToRegExp(allowed).test(url)) return true;
		try {
			return !allowed.includes('*') && new URL(allowed).origin === target.origin;
		} catch {
			return false;
		}
	});
}

/** The redirect a request asked for if it is allowed, else site_url (what GoTrue calls the referrer). */
export function pickRedirect(
	config: AuthConfig,
	...candidates: (string | null | undefined)[]
): string {
	for (const candidate of candidates) {
		if (candidate && isRedirectAllowed(config, candidate)) return candidate;
	}
	return config.siteUrl;
}

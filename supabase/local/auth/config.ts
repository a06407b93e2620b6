import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import type { AccountLockConfig, RateLimitConfig } from './rate-limits.ts';

/** The `[auth]` settings of supabase/config.toml the local Auth honours. */
export interface AuthConfig {
	siteUrl: string;
	additionalRedirectUrls: string[];
	/** Access-token lifetime in seconds. */
	jwtExpiry: number;
	minimumPasswordLength: number;
	enableSignup: boolean;
	/** `enable_confirmations = false` means new email users are confirmed at once. */
	mailerAutoconfirm: boolean;
	/** Seconds a rotated refresh token may still be used (a client that lost the answer retries). */
	refreshTokenReuseInterval: number;
	/** Seconds an emailed link or code stays valid. */
	otpExpiry: number;
	otpLength: number;
	/** `[auth.rate_limit]`: requests per client address per 5 minutes. */
	rateLimits: RateLimitConfig;
	/** Not a GoTrue setting: the local stack's refusal of an account after repeated wrong passwords. */
	accountLock: AccountLockConfig;
}

/** Ten wrong passwords within 15 minutes refuse the account (from any address) until they age out. */
const ACCOUNT_LOCK: AccountLockConfig = { failures: 10, windowMs: 15 * 60_000 };

type Table = Record<string, unknown>;

const table = (value: unknown): Table =>
	value && typeof value === 'object' && !Array.isArray(value) ? (value as Table) : {};

/** Reads the auth settings from `<supabaseDir>/config.toml`, falling back to `supabase init` defaults. */
export async function loadAuthConfig(supabaseDir: string): Promise<AuthConfig> {
	let root: Table = {};
	try {
		root = parse(await readFile(join(supabaseDir, 'config.toml'), 'utf8'));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
	}
	const auth = table(root.auth);
	const email = table(auth.email);
	const rateLimit = table(auth.rate_limit);
	const number = (value: unknown, fallback: number) =>
		typeof value === 'number' ? value : fallback;
	const bool = (value: unknown, fallback: boolean) =>
		typeof value === 'boolean' ? value : fallback;
	const urls = Array.isArray(auth.additional_redirect_urls)
		? auth.additional_redirect_urls.filter((url): url is string => typeof url === 'string')
		: [];
	return {
		siteUrl: typeof auth.site_url === 'string' ? auth.site_url : 'http://127.0.0.1:3000',
		additionalRedirectUrls: urls,
		jwtExpiry: number(auth.jwt_expiry, 3600),
		minimumPasswordLength: Math.max(6, number(auth.minimum_password_length, 6)),
		enableSignup: bool(auth.enable_signup, true) && bool(email.enable_signup, true),
		mailerAutoconfirm: !bool(email.enable_confirmations, false),
		refreshTokenReuseInterval: number(auth.refresh_token_reuse_interval, 10),
		otpExpiry: number(email.otp_expiry, 3600),
		otpLength: number(email.otp_length, 6),
		// The defaults `supabase init` writes.
		rateLimits: {
			signInSignUps: number(rateLimit.sign_in_sign_ups, 30),
			tokenRefresh: number(rateLimit.token_refresh, 150)
		},
		accountLock: ACCOUNT_LOCK
	};
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

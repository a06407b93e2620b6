import { isIP } from 'node:net';
import { AuthApiError } from './errors.ts';

/** `[auth.rate_limit]` of config.toml that the local Auth enforces, per client address. */
export interface RateLimitConfig {
	/** Password sign-ins and sign-ups, per 5 minutes. */
	signInSignUps: number;
	/** Refresh-token and PKCE exchanges, per 5 minutes. */
	tokenRefresh: number;
	/** One-time link and code verifications (`/verify`), per 5 minutes. */
	tokenVerifications: number;
	/** Anonymous sign-ins, per hour. */
	anonymousUsers: number;
}

/** Failed passwords for one account before it is refused for a while, whatever the address. */
export interface AccountLockConfig {
	failures: number;
	/** Milliseconds failures count for: an account is refused while `failures` fall within it. */
	windowMs: number;
}

/** GoTrue's usual window: most `[auth.rate_limit]` values count per five minutes. */
export const FIVE_MINUTES_MS = 5 * 60_000;
// GoTrue's five-minute buckets (tollbooth) hold at most 30 requests, however high the configured rate.
const GOTRUE_BURST = 30;

/** What GoTrue answers when a bucket is empty; auth-js surfaces it as an AuthApiError with this code. */
export function rateLimitReached(): AuthApiError {
	return new AuthApiError(429, 'over_request_rate_limit', 'Request rate limit reached');
}

/**
 * The client's address as Auth's rate limits see it: the leftmost `X-Forwarded-For` entry, which a
 * proxy (or a server acting for a browser, such as the app's sign-in) sets. Like GoTrue with
 * `GOTRUE_RATE_LIMIT_HEADER`, a request without it is not limited by address.
 */
export function clientAddress(request: Request): string | null {
	const first = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
	return first && isIP(first) ? first : null;
}

/**
 * A token bucket per address, as GoTrue keeps them: `limit` requests per window (five minutes unless
 * given), refilled continuously, holding at most min(limit, 30) so a burst cannot exceed what GoTrue
 * allows; the hourly anonymous sign-in limit holds its whole hour, as GoTrue's does.
 */
export class AddressRateLimit {
	private readonly buckets = new Map<string, { tokens: number; at: number }>();
	private readonly capacity: number;
	private readonly refillPerMs: number;

	constructor(
		limit: number,
		window: { ms: number; burst: 'capped' | 'whole' } = { ms: FIVE_MINUTES_MS, burst: 'capped' }
	) {
		this.capacity = Math.max(1, window.burst === 'whole' ? limit : Math.min(limit, GOTRUE_BURST));
		this.refillPerMs = limit / window.ms;
	}

	/** Spends one request for the request's address; throws 429 when its bucket is empty. */
	take(request: Request, now = Date.now()): void {
		const address = clientAddress(request);
		if (!address) return;
		const bucket = this.buckets.get(address) ?? { tokens: this.capacity, at: now };
		bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.refillPerMs);
		bucket.at = now;
		if (bucket.tokens < 1) {
			this.buckets.set(address, bucket);
			throw rateLimitReached();
		}
		bucket.tokens -= 1;
		this.buckets.set(address, bucket);
		this.forgetFull(now);
	}

	/** Buckets that have refilled carry no information; dropping them keeps the map small. */
	private forgetFull(now: number): void {
		if (this.buckets.size < 1000) return;
		for (const [address, bucket] of this.buckets) {
			if (bucket.tokens + (now - bucket.at) * this.refillPerMs >= this.capacity)
				this.buckets.delete(address);
		}
	}
}

/**
 * Counts failed passwords per account (by email or phone, lower-cased) so guessing one account's
 * password stops after a few tries from any number of addresses. A success clears the count.
 */
export class AccountLock {
	private readonly failures = new Map<string, number[]>();

	constructor(private readonly config: AccountLockConfig) {}

	/** Throws 429 while the account has had too many recent failures, before any password is checked. */
	check(account: string, now = Date.now()): void {
		if (this.recent(account, now).length >= this.config.failures) throw rateLimitReached();
	}

	recordFailure(account: string, now = Date.now()): void {
		const recent = this.recent(account, now);
		recent.push(now);
		this.failures.set(account.toLowerCase(), recent);
	}

	clear(account: string): void {
		this.failures.delete(account.toLowerCase());
	}

	private recent(account: string, now: number): number[] {
		const key = account.toLowerCase();
		const recent = (this.failures.get(key) ?? []).filter(
			(time) => now - time < this.config.windowMs
		);
		if (recent.length === 0) this.failures.delete(key);
		return recent;
	}
}

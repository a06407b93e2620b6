/**
 * The secrets webhook signatures are checked with, kept decrypted in the function's memory with
 * the credential version each was read at, so a warm delivery needs no database call before its
 * one ingest call. The cache is only ever a guess: ingest_whatsapp_delivery is handed the routing
 * and the versions the delivery was verified with and stores nothing unless they are still the
 * current ones (20261204130000), and a signature that fails on a cached secret is checked again
 * on freshly read ones before it is refused. So a rotated secret, a number connected, moved or
 * removed takes effect on the next delivery, and a cached entry is only reused for exactly the
 * routing (Twilio account and address, or Meta phone number and business account ids) it was read
 * for, never for another tenant's number.
 */
import type { DeliveryCalls } from './delivery-calls.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { databaseFailure } from './database-errors.ts';
import { encryptionKeyOf, openStoredSecret } from './stored-secrets.ts';

/** What a delivery names to find its numbers. */
export type WebhookRouting =
	| { provider: 'twilio'; account_sid: string; address: string }
	| { provider: 'meta'; phone_number_ids: string[]; business_account_ids: string[] };

/** One number a delivery's routing names, with its secret opened. */
export interface WebhookNumber {
	numberId: string;
	tenantId: string;
	phoneNumberId: string | null;
	businessAccountId: string | null;
	/** The Twilio auth token or the Meta app secret. */
	secret: string;
	/** The credential version the secret was read at. */
	version: string;
}

/** The numbers of one routing as read together: what ingest is told it was verified with. */
export interface WebhookCredentials {
	numbers: WebhookNumber[];
	/** `{routing, versions}` for ingest_whatsapp_delivery's `credentials` argument. */
	claim: { routing: { [key: string]: string | string[] }; versions: { [id: string]: string } };
	/** Read from the database for this delivery, not taken from the cache. */
	fresh: boolean;
}

/** Numbers whose credentials a process keeps at most; the oldest read goes first. */
const defaultCapacity = 1000;

/** Per-process cache of webhook credentials, one entry per routing. */
export class WebhookCredentialCache {
	readonly #entries = new Map<string, WebhookCredentials>();
	#key: Promise<CryptoKey> | undefined;

	constructor(
		private readonly config: ProviderFunctionConfig,
		private readonly capacity = defaultCapacity
	) {}

	/**
	 * The routing's numbers: from the cache when present and `fresh` is not asked for, else read
	 * (and cached when the routing names any number: an unknown number is read every time, so it
	 * is found the moment it is connected).
	 */
	async read(
		calls: DeliveryCalls,
		routing: WebhookRouting,
		options: { fresh?: boolean } = {}
	): Promise<WebhookCredentials> {
		const cacheKey = keyOf(routing);
		const cached = options.fresh ? undefined : this.#entries.get(cacheKey);
		if (cached) return { ...cached, fresh: false };
		this.#entries.delete(cacheKey);
		const { provider, ...rest } = routing;
		const { data, error } = await calls.rpc('webhook_credentials', { provider, routing: rest });
		if (error) throw databaseFailure(error);
		const rows = data ?? [];
		const key = rows.length ? await this.#encryptionKey() : undefined;
		const what = provider === 'twilio' ? 'Twilio auth token' : 'Meta app secret';
		const numbers: WebhookNumber[] = [];
		for (const row of rows) {
			numbers.push({
				numberId: row.number_id,
				tenantId: row.tenant_id,
				phoneNumberId: row.phone_number_id,
				businessAccountId: row.business_account_id,
				secret: await openStoredSecret(row.secret_ciphertext, key!, what),
				version: row.credential_version
			});
		}
		const entry: WebhookCredentials = {
			numbers,
			claim: {
				routing: rest,
				versions: Object.fromEntries(numbers.map((number) => [number.numberId, number.version]))
			},
			fresh: true
		};
		if (numbers.length) {
			this.#entries.set(cacheKey, entry);
			if (this.#entries.size > this.capacity) {
				this.#entries.delete(this.#entries.keys().next().value!);
			}
		}
		return entry;
	}

	/** Drops the routing's entry (its versions were refused as stale). */
	forget(routing: WebhookRouting): void {
		this.#entries.delete(keyOf(routing));
	}

	#encryptionKey(): Promise<CryptoKey> {
		this.#key ??= encryptionKeyOf(this.config).catch((error) => {
			this.#key = undefined;
			throw error;
		});
		return this.#key;
	}
}

/** One key per routing whatever order the provider listed its ids in. */
function keyOf(routing: WebhookRouting): string {
	return routing.provider === 'twilio'
		? JSON.stringify(['twilio', routing.account_sid, routing.address])
		: JSON.stringify([
				'meta',
				[...new Set(routing.phone_number_ids)].sort(),
				[...new Set(routing.business_account_ids)].sort()
			]);
}

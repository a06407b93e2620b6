/**
 * What every stand-in shares: the state, the sandbox clock, signed webhook delivery, and the
 * status-callback scheduler that walks a sent message through queued → sent → delivered → read.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { metaSignature, twilioSignature } from './signatures.ts';
import {
	metaAppSubscribed,
	windowKey,
	type MetaNumber,
	type ProviderName,
	type SandboxMessage,
	type SandboxMessageStatus,
	type SandboxState,
	type WebhookDelivery
} from './state.ts';

export interface StatusFailure {
	code: number;
	message: string;
}

const TWILIO_ERRORS: Record<number, string> = {
	63003: 'Channel could not find To address',
	63016:
		'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
	63024: 'Invalid message recipient',
	63019: 'Media failed to download'
};

const META_ERRORS: Record<number, { title: string; details: string }> = {
	131047: {
		title: 'Re-engagement message',
		details:
			'Message failed to send because more than 24 hours have passed since the customer last replied to this number.'
	},
	131053: {
		title: 'Media upload error',
		details: 'Unable to upload the media used in the message.'
	},
	131026: {
		title: 'Message undeliverable',
		details: 'Message failed to send because the recipient cannot be reached on WhatsApp.'
	}
};

/** The Twilio error message for a code the sandbox produces. */
export function twilioErrorMessage(code: number): string {
	return TWILIO_ERRORS[code] ?? 'Message failed';
}

/** The Meta error title and details for a code the sandbox produces. */
export function metaError(code: number): { title: string; details: string } {
	return (
		META_ERRORS[code] ?? { title: 'Message failed', details: 'The message could not be delivered.' }
	);
}

export class SandboxCore {
	url = '';
	private pending = 0;
	private idleWaiters: (() => void)[] = [];
	private closed = new AbortController();
	private deliveryId = 0;

	constructor(
		public state: SandboxState,
		public webhookBaseUrl: string | undefined
	) {}

	/** Sandbox time: wall clock plus whatever a test advanced it by. */
	now(): number {
		return Date.now() + this.state.clockOffsetMs;
	}

	get closedSignal(): AbortSignal {
		return this.closed.signal;
	}

	close(): void {
		this.closed.abort();
	}

	/** Whether the business may send free-form text to this customer right now. */
	insideWindow(provider: ProviderName, business: string, customer: string): boolean {
		const last = this.state.lastInbound.get(windowKey(provider, business, customer));
		return last !== undefined && this.now() - last < this.state.settings.windowMs;
	}

	/** Runs background work and lets `settled()` wait for it. */
	track(work: Promise<unknown>): void {
		this.pending++;
		work
			.catch(() => undefined)
			.finally(() => {
				this.pending--;
				if (this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
			});
	}

	/** Resolves once no status callbacks or webhooks are in flight. */
	settled(): Promise<void> {
		if (this.pending === 0) return Promise.resolve();
		return new Promise((resolve) => this.idleWaiters.push(resolve));
	}

	/** Default webhook URL for a provider when a number has none configured. */
	defaultWebhookUrl(provider: ProviderName): string | undefined {
		if (!this.webhookBaseUrl) return undefined;
		return `${this.webhookBaseUrl.replace(/\/+$/, '')}/${provider}-webhook`;
	}

	/**
	 * Posts a Twilio form webhook signed with the account's auth token, as Twilio does: the URL's
	 * fragment (connection overrides) is not sent nor signed, and a failed attempt is tried again
	 * only as the overrides say. By default Twilio retries once a connection that failed, never an
	 * answer, so a 5xx is final; `#rc=3&rp=all` (or `rp=5xx`) retries 5xx answers too.
	 */
	async deliverTwilio(
		kind: WebhookDelivery['kind'],
		configuredUrl: string,
		authToken: string,
		params: Record<string, string>
	): Promise<WebhookDelivery> {
		const [url, fragment = ''] = configuredUrl.split('#');
		const overrides = new URLSearchParams(fragment);
		const retries = Math.min(Math.max(Number(overrides.get('rc') ?? 1) || 0, 0), 5);
		const policy = (overrides.get('rp') ?? 'ct,rt').split(',');
		const retriesAnswer = (status: number) =>
			policy.includes('all') ||
			(status >= 500 && policy.includes('5xx')) ||
			(status >= 400 && status < 500 && policy.includes('4xx'));
		const body = new URLSearchParams(params).toString();
		const idempotencyToken = crypto.randomUUID();
		let record: WebhookDelivery;
		let attempt = 0;
		for (;;) {
			const headers: Record<string, string> = {
				'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
				'User-Agent': 'TwilioProxy/1.1',
				'X-Twilio-Signature': twilioSignature(authToken, url, params),
				'I-Twilio-Idempotency-Token': idempotencyToken
			};
			record = await this.post({ provider: 'twilio', kind, url, headers, body, payload: params });
			const failed =
				record.responseStatus === undefined
					? true
					: record.responseStatus >= 400 && retriesAnswer(record.responseStatus);
			if (!failed || attempt >= retries || this.closed.signal.aborted) return record;
			attempt++;
		}
	}

	/**
	 * Posts a Meta JSON webhook for one number, signed with its app secret: `value` (messages and
	 * contacts, or statuses) inside Meta's entry → changes envelope with the number's metadata.
	 */
	async deliverMeta(
		kind: WebhookDelivery['kind'],
		url: string,
		number: MetaNumber,
		value: Record<string, unknown>,
		/** The webhook field: `messages`, or `smb_message_echoes` for echoes of the Business app. */
		field = 'messages',
		/** Whether the value names the number (`metadata`); account-wide fields have none. */
		withMetadata = true
	): Promise<WebhookDelivery> {
		// Meta sends a business account's webhooks only to the apps subscribed to it.
		if (!metaAppSubscribed(this.state, number)) {
			const record: WebhookDelivery = {
				id: ++this.deliveryId,
				provider: 'meta',
				kind,
				url,
				headers: {},
				body: '',
				payload: value,
				error: `Not sent: the app is not subscribed to the WhatsApp Business Account ${number.wabaId} (POST /${number.wabaId}/subscribed_apps).`,
				at: this.now()
			};
			this.state.deliveries.push(record);
			return record;
		}
		const payload = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: number.wabaId,
					changes: [
						{
							field,
							value: withMetadata
								? {
										messaging_product: 'whatsapp',
										metadata: {
											display_phone_number: number.displayPhoneNumber,
											phone_number_id: number.phoneNumberId
										},
										...value
									}
								: value
						}
					]
				}
			]
		};
		const body = JSON.stringify(payload);
		const headers: Record<string, string> = {
			'Content-Type': 'application/json',
			'User-Agent': 'facebookexternalua',
			'X-Hub-Signature-256': metaSignature(number.appSecret, body)
		};
		return this.post({ provider: 'meta', kind, url, headers, body, payload });
	}

	/** Sends a recorded delivery again, byte for byte (providers retry, so duplicates happen). */
	async redeliver(id: number): Promise<WebhookDelivery | undefined> {
		const original = this.state.deliveries.find((delivery) => delivery.id === id);
		if (!original) return undefined;
		const { provider, kind, url, headers, body, payload } = original;
		return this.post({ provider, kind, url, headers, body, payload });
	}

	private async post(
		delivery: Pick<WebhookDelivery, 'provider' | 'kind' | 'url' | 'headers' | 'body' | 'payload'>
	): Promise<WebhookDelivery> {
		const record: WebhookDelivery = { ...delivery, id: ++this.deliveryId, at: this.now() };
		this.state.deliveries.push(record);
		try {
			const response = await fetch(delivery.url, {
				method: 'POST',
				headers: delivery.headers,
				body: delivery.body,
				signal: AbortSignal.any([AbortSignal.timeout(15_000), this.closed.signal])
			});
			record.responseStatus = response.status;
			record.responseBody = await response.text();
		} catch (error) {
			record.error = error instanceof Error ? error.message : String(error);
		}
		return record;
	}

	/** Moves a message to a status and tells the business, as the provider would. */
	async emitStatus(
		message: SandboxMessage,
		status: SandboxMessageStatus,
		failure?: StatusFailure
	): Promise<void> {
		message.status = status;
		message.statusHistory.push(status);
		if (failure) {
			message.errorCode = failure.code;
			message.errorMessage = failure.message;
		}
		if (message.provider === 'twilio') await this.emitTwilioStatus(message, status, failure);
		else await this.emitMetaStatus(message, status, failure);
	}

	private async emitTwilioStatus(message: SandboxMessage, status: string, failure?: StatusFailure) {
		const account = this.state.twilioAccounts.get(message.owner);
		const number = this.state.twilioNumbers.get(message.business);
		const url = message.statusCallbackUrl ?? number?.statusCallbackUrl;
		if (!account || !url) return;
		const params: Record<string, string> = {
			SmsSid: message.id,
			SmsStatus: status,
			MessageStatus: status,
			ChannelToAddress: message.customer,
			To: `whatsapp:${message.customer}`,
			ChannelPrefix: 'whatsapp',
			MessageSid: message.id,
			AccountSid: account.sid,
			StructuredMessage: 'false',
			From: `whatsapp:${message.business}`,
			ApiVersion: '2010-04-01',
			ChannelInstallSid: 'XE' + account.sid.slice(2)
		};
		if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
		// Twilio documents ErrorCode and ChannelStatusMessage on failures; ErrorMessage is not
		// documented, so the sandbox leaves it out and nothing comes to rely on it.
		if (failure) {
			params.ErrorCode = String(failure.code);
			params.ChannelStatusMessage = failure.message;
		}
		await this.deliverTwilio('status', url, account.authToken, params);
	}

	private async emitMetaStatus(message: SandboxMessage, status: string, failure?: StatusFailure) {
		const number = this.state.metaNumbers.get(message.owner);
		if (!number) return;
		const url = number.webhookUrl ?? this.defaultWebhookUrl('meta');
		if (!url) return;
		const recipient = message.customer.replace(/^\+/, '');
		const timestamp = String(Math.floor(this.now() / 1000));
		const entryStatus: Record<string, unknown> = {
			id: message.id,
			status,
			timestamp,
			recipient_id: recipient
		};
		if (status === 'failed' && failure) {
			const known = metaError(failure.code);
			entryStatus.errors = [
				{
					code: failure.code,
					title: known.title,
					message: known.title,
					error_data: { details: failure.message },
					href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/'
				}
			];
		} else {
			const category = message.template ? 'utility' : 'service';
			entryStatus.conversation = {
				id: 'sandbox' + message.customer.replace(/\D/g, ''),
				...(status === 'sent'
					? { expiration_timestamp: String(Math.floor(this.now() / 1000) + 86_400) }
					: {}),
				origin: { type: category }
			};
			entryStatus.pricing = { billable: true, pricing_model: 'PMP', category, type: 'regular' };
		}
		await this.deliverMeta('status', url, number, { statuses: [entryStatus] });
	}

	/** Walks an accepted outbound message through its statuses, one callback after another. */
	scheduleStatuses(
		message: SandboxMessage,
		initial: SandboxMessageStatus[],
		failure?: StatusFailure
	): void {
		const { statusDelayMs, autoRead } = this.state.settings;
		const steps: { status: SandboxMessageStatus; failure?: StatusFailure }[] = initial.map(
			(status) => ({ status })
		);
		if (failure) steps.push({ status: 'failed', failure });
		else {
			steps.push({ status: 'sent' }, { status: 'delivered' });
			if (autoRead) steps.push({ status: 'read' });
		}
		this.track(
			(async () => {
				for (const step of steps) {
					await sleep(statusDelayMs, undefined, { signal: this.closed.signal });
					await this.emitStatus(message, step.status, step.failure);
				}
			})()
		);
	}
}

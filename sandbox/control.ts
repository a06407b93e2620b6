/**
 * Configuring the sandbox: accounts, numbers, templates, settings, failures, the clock. The same
 * operations back the TypeScript API tests use and the `/_sandbox/*` HTTP API.
 */
import { z } from 'zod';
import {
	twilioSid,
	graphId,
	createSeededState,
	metaAppId,
	wamid,
	type SandboxMessage,
	type SandboxMessageStatus,
	type SandboxSettings,
	type WebhookDelivery
} from './state.ts';
import { metaError, twilioErrorMessage, type SandboxCore } from './core.ts';
import type {
	MetaNumber,
	MetaTemplate,
	RecordedRequest,
	TwilioAccount,
	TwilioNumber,
	TwilioTemplate
} from './state.ts';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number like +15550100001');
const url = z.string().url();

export const twilioAccountInput = z.object({
	sid: z
		.string()
		.regex(/^AC[0-9a-fA-F]{32}$/)
		.optional(),
	authToken: z.string().min(8).optional(),
	friendlyName: z.string().default('Sandbox account'),
	status: z.enum(['active', 'suspended', 'closed']).default('active')
});

export const twilioNumberInput = z.object({
	accountSid: z.string(),
	phoneNumber: e164,
	friendlyName: z.string().optional(),
	whatsapp: z.boolean().default(true),
	webhookUrl: url.nullish(),
	statusCallbackUrl: url.nullish(),
	messagingServiceSid: z.string().nullish()
});

export const twilioTemplateInput = z.object({
	accountSid: z.string(),
	friendlyName: z.string().min(1),
	language: z.string().default('en'),
	body: z.string().min(1).optional(),
	/** A `twilio/card` Content instead of text; its title and subtitle are the text sent. */
	card: z
		.object({
			title: z.string().min(1),
			subtitle: z.string().optional(),
			media: z.array(z.string()).optional(),
			actions: z
				.array(
					z.object({
						type: z.enum(['QUICK_REPLY', 'URL', 'PHONE_NUMBER']),
						title: z.string().min(1),
						url: z.string().optional(),
						phone: z.string().optional(),
						id: z.string().optional()
					})
				)
				.optional()
		})
		.optional(),
	variables: z.record(z.string(), z.string()).default({}),
	approvalStatus: z.enum(['approved', 'pending', 'rejected', 'unsubmitted']).default('approved'),
	category: z.string().default('UTILITY')
});

export const metaNumberInput = z.object({
	phoneNumberId: z.string().regex(/^\d+$/).optional(),
	wabaId: z.string().regex(/^\d+$/).optional(),
	displayPhoneNumber: z
		.string()
		.regex(/^\d{7,15}$/)
		.optional(),
	verifiedName: z.string().optional(),
	accessToken: z.string().min(8).optional(),
	appSecret: z.string().min(8).optional(),
	verifyToken: z.string().min(1).optional(),
	webhookUrl: url.nullish(),
	coexistence: z.boolean().optional()
});

export const metaTemplateInput = z.object({
	wabaId: z.string(),
	name: z.string().regex(/^[a-z0-9_]+$/),
	language: z.string().default('en_US'),
	category: z.enum(['UTILITY', 'MARKETING', 'AUTHENTICATION']).default('UTILITY'),
	status: z.enum(['APPROVED', 'PENDING', 'REJECTED']).default('APPROVED'),
	body: z.string().min(1),
	header: z
		.discriminatedUnion('format', [
			z.object({
				format: z.literal('TEXT'),
				text: z.string().min(1).max(60),
				example: z.array(z.string()).optional()
			}),
			z.object({
				format: z.enum(['IMAGE', 'VIDEO', 'DOCUMENT']),
				example: z.string().optional()
			})
		])
		.optional(),
	footer: z.string().max(60).optional(),
	buttons: z
		.array(
			z.discriminatedUnion('type', [
				z.object({ type: z.literal('QUICK_REPLY'), text: z.string().min(1).max(25) }),
				z.object({
					type: z.literal('URL'),
					text: z.string().min(1).max(25),
					url: z.string().startsWith('https://'),
					example: z.string().optional()
				}),
				z.object({
					type: z.literal('PHONE_NUMBER'),
					text: z.string().min(1).max(25),
					phone_number: z.string().min(5)
				})
			])
		)
		.max(10)
		.optional()
});

export const settingsInput = z
	.object({
		statusDelayMs: z.number().int().min(0),
		autoRead: z.boolean(),
		metaWindowError: z.enum(['status', 'response']),
		windowMs: z.number().int().min(0),
		openAiHangMs: z.number().int().min(0),
		twilioMediaNotFoundFirst: z.number().int().min(0),
		metaThrottledSends: z.number().int().min(0),
		metaRefuseAppSubscription: z.boolean()
	})
	.partial();

export const businessAppEchoInput = z.object({
	phoneNumberId: z.string(),
	/** The customer's phone. */
	to: e164,
	text: z.string().min(1)
});

export const metaTemplateStatusInput = z.object({
	templateId: z.string(),
	status: z.enum(['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED']),
	/** Meta's reason, e.g. INCORRECT_CATEGORY; `NONE` when absent. */
	reason: z.string().optional()
});

export const openAiFailureInput = z.object({
	kind: z.enum(['rate_limit', 'timeout', 'invalid_output', 'server_error']).nullable(),
	/** How many requests fail; absent means until cleared. */
	times: z.number().int().min(1).optional()
});

export const statusInput = z.object({
	messageId: z.string(),
	status: z.enum(['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'undelivered']),
	errorCode: z.number().int().optional(),
	errorMessage: z.string().optional()
});

export interface RequestFilter {
	provider?: RecordedRequest['provider'];
	method?: string;
	/** Exact path, or a RegExp. */
	path?: string | RegExp;
}

/** Thrown for a configuration that does not fit the sandbox; the message is a sentence. */
export class SandboxConfigError extends Error {
	constructor(
		message: string,
		public status: 400 | 404 = 404
	) {
		super(message);
	}
}

export class SandboxControl {
	constructor(protected core: SandboxCore) {}

	/** Adds or replaces a Twilio account; SID and token are generated when not given. */
	addTwilioAccount(input: z.input<typeof twilioAccountInput> = {}): TwilioAccount {
		const value = twilioAccountInput.parse(input);
		const account: TwilioAccount = {
			sid: value.sid ?? twilioSid('AC'),
			authToken: value.authToken ?? twilioSid('').slice(0, 32),
			friendlyName: value.friendlyName,
			status: value.status,
			dateCreated: new Date(this.core.now())
		};
		this.core.state.twilioAccounts.set(account.sid, account);
		return account;
	}

	/** Adds a number to a Twilio account, or updates it (webhook URL, WhatsApp capability…). */
	upsertTwilioNumber(input: z.input<typeof twilioNumberInput>): TwilioNumber {
		const value = twilioNumberInput.parse(input);
		if (!this.core.state.twilioAccounts.has(value.accountSid)) {
			throw new SandboxConfigError(`No Twilio account ${value.accountSid} exists in the sandbox.`);
		}
		const existing = this.core.state.twilioNumbers.get(value.phoneNumber);
		const number: TwilioNumber = {
			sid: existing?.sid ?? twilioSid('PN'),
			accountSid: value.accountSid,
			phoneNumber: value.phoneNumber,
			friendlyName: value.friendlyName ?? existing?.friendlyName ?? value.phoneNumber,
			whatsapp: value.whatsapp,
			webhookUrl:
				value.webhookUrl === undefined ? existing?.webhookUrl : (value.webhookUrl ?? undefined),
			statusCallbackUrl:
				value.statusCallbackUrl === undefined
					? existing?.statusCallbackUrl
					: (value.statusCallbackUrl ?? undefined),
			messagingServiceSid:
				value.messagingServiceSid === undefined
					? existing?.messagingServiceSid
					: (value.messagingServiceSid ?? undefined)
		};
		this.core.state.twilioNumbers.set(number.phoneNumber, number);
		return number;
	}

	/** Adds a Content API template to a Twilio account. */
	addTwilioTemplate(input: z.input<typeof twilioTemplateInput>): TwilioTemplate {
		const { body, ...value } = twilioTemplateInput.parse(input);
		const text = body ?? [value.card?.title, value.card?.subtitle].filter(Boolean).join('\n');
		if (!text) throw new Error('A Twilio template needs a body or a card.');
		const template: TwilioTemplate = {
			...value,
			body: text,
			sid: twilioSid('HX'),
			dateCreated: new Date(this.core.now())
		};
		this.core.state.twilioTemplates.set(template.sid, template);
		return template;
	}

	/** Adds or updates a Meta phone number (with its WABA, token, app secret and callback URL). */
	upsertMetaNumber(input: z.input<typeof metaNumberInput>): MetaNumber {
		const value = metaNumberInput.parse(input);
		const existing = value.phoneNumberId
			? this.core.state.metaNumbers.get(value.phoneNumberId)
			: undefined;
		const displayPhoneNumber = value.displayPhoneNumber ?? existing?.displayPhoneNumber;
		if (!displayPhoneNumber)
			throw new SandboxConfigError(
				'A new Meta number needs its displayPhoneNumber (digits only).',
				400
			);
		const number: MetaNumber = {
			phoneNumberId: value.phoneNumberId ?? graphId(),
			wabaId: value.wabaId ?? existing?.wabaId ?? graphId(),
			displayPhoneNumber,
			verifiedName: value.verifiedName ?? existing?.verifiedName ?? 'Sandbox business',
			accessToken: value.accessToken ?? existing?.accessToken ?? 'EAA' + twilioSid('').repeat(2),
			appSecret: value.appSecret ?? existing?.appSecret ?? twilioSid('').slice(0, 32),
			verifyToken: value.verifyToken ?? existing?.verifyToken ?? 'sandbox-verify',
			webhookUrl:
				value.webhookUrl === undefined ? existing?.webhookUrl : (value.webhookUrl ?? undefined),
			coexistence: value.coexistence ?? existing?.coexistence ?? false
		};
		this.core.state.metaNumbers.set(number.phoneNumberId, number);
		return number;
	}

	/** Subscribes a number's app to its WhatsApp Business Account, or unsubscribes it. */
	setMetaAppSubscribed(phoneNumberId: string, subscribed: boolean): void {
		const number = this.core.state.metaNumbers.get(phoneNumberId);
		if (!number)
			throw new SandboxConfigError(`No Meta number ${phoneNumberId} exists in the sandbox.`);
		const apps = this.core.state.metaSubscribedApps.get(number.wabaId) ?? new Set<string>();
		if (subscribed) apps.add(metaAppId(number.appSecret));
		else apps.delete(metaAppId(number.appSecret));
		this.core.state.metaSubscribedApps.set(number.wabaId, apps);
	}

	/** Adds a message template to a WhatsApp Business Account. */
	addMetaTemplate(input: z.input<typeof metaTemplateInput>): MetaTemplate {
		const value = metaTemplateInput.parse(input);
		const template: MetaTemplate = { ...value, id: graphId() };
		this.core.state.metaTemplates.set(template.id, template);
		return template;
	}

	/**
	 * The business answers a customer from the WhatsApp Business app on a coexistence number:
	 * Meta echoes the message to the callback (field `smb_message_echoes`).
	 */
	async sendBusinessAppEcho(
		input: z.input<typeof businessAppEchoInput>
	): Promise<{ message: SandboxMessage; delivery: WebhookDelivery }> {
		const value = businessAppEchoInput.parse(input);
		const number = this.core.state.metaNumbers.get(value.phoneNumberId);
		if (!number) {
			throw new SandboxConfigError(`No Meta number ${value.phoneNumberId} exists in the sandbox.`);
		}
		if (!number.coexistence) {
			throw new SandboxConfigError(
				`The Meta number ${value.phoneNumberId} is not also on the WhatsApp Business app (coexistence), so nothing is echoed.`,
				400
			);
		}
		const url = number.webhookUrl ?? this.core.defaultWebhookUrl('meta');
		if (!url)
			throw new SandboxConfigError(
				`The Meta number ${value.phoneNumberId} has no callback URL.`,
				400
			);
		const message: SandboxMessage = {
			id: wamid(),
			provider: 'meta',
			direction: 'outbound',
			owner: number.phoneNumberId,
			business: number.phoneNumberId,
			customer: value.to,
			body: value.text,
			media: [],
			status: 'sent',
			createdAt: this.core.now(),
			statusHistory: ['sent']
		};
		this.core.state.messages.set(message.id, message);
		const delivery = await this.core.deliverMeta(
			'message',
			url,
			number,
			{
				message_echoes: [
					{
						from: number.displayPhoneNumber,
						to: value.to.slice(1),
						id: message.id,
						timestamp: String(Math.floor(this.core.now() / 1000)),
						type: 'text',
						text: { body: value.text }
					}
				]
			},
			'smb_message_echoes'
		);
		return { message, delivery };
	}

	/**
	 * Meta's review changes a template's status: the template changes and Meta tells the callback
	 * of the business account (field `message_template_status_update`).
	 */
	async setMetaTemplateStatus(
		input: z.input<typeof metaTemplateStatusInput>
	): Promise<WebhookDelivery | undefined> {
		const value = metaTemplateStatusInput.parse(input);
		const template = this.core.state.metaTemplates.get(value.templateId);
		if (!template)
			throw new SandboxConfigError(`No Meta template ${value.templateId} exists in the sandbox.`);
		template.status = value.status;
		const number = [...this.core.state.metaNumbers.values()].find(
			(candidate) => candidate.wabaId === template.wabaId
		);
		const url = number && (number.webhookUrl ?? this.core.defaultWebhookUrl('meta'));
		if (!number || !url) return undefined;
		return this.core.deliverMeta(
			'account',
			url,
			number,
			{
				event: value.status,
				message_template_id: Number(template.id),
				message_template_name: template.name,
				message_template_language: template.language,
				reason: value.reason ?? 'NONE'
			},
			'message_template_status_update',
			false
		);
	}

	/** Changes timing and behaviour (status delays, auto-read, how Meta reports the window). */
	configure(input: Partial<SandboxSettings>): SandboxSettings {
		Object.assign(this.core.state.settings, settingsInput.parse(input));
		return { ...this.core.state.settings };
	}

	/** Moves the sandbox clock forward, e.g. past the 24-hour window. */
	advanceTime(ms: number): void {
		this.core.state.clockOffsetMs += ms;
	}

	/** Accepts another OpenAI API key. */
	addOpenAiKey(key: string): void {
		this.core.state.openai.apiKeys.add(key);
	}

	/** Makes chat completions fail (`times` requests, or until cleared with null). */
	setOpenAiFailure(kind: z.input<typeof openAiFailureInput>['kind'], times?: number): void {
		const value = openAiFailureInput.parse({ kind, times });
		this.core.state.openai.failure = value.kind
			? { kind: value.kind, remaining: value.times ?? null }
			: undefined;
	}

	/**
	 * Forgets a media file, as providers do (Meta's ids expire after 7 days): Graph answers
	 * `GET /{media-id}` with its missing-object error and Twilio's media URL with 404.
	 */
	forgetMedia(id: string): void {
		if (!this.core.state.media.delete(id)) {
			throw new SandboxConfigError(`No media ${id} exists in the sandbox.`);
		}
	}

	/** Marks a customer as unreachable on WhatsApp (sends to them fail with 63003 / 131026). */
	setUnreachable(phone: string, unreachable = true): void {
		if (unreachable) this.core.state.unreachable.add(phone);
		else this.core.state.unreachable.delete(phone);
	}

	/**
	 * Makes Twilio sends to a customer fail with `code` and the channel's `message` (sent as
	 * ChannelStatusMessage), e.g. 63032; null makes them deliverable again.
	 */
	setTwilioDeliveryFailure(phone: string, failure: { code: number; message: string } | null): void {
		const customer = e164.parse(phone);
		if (failure) this.core.state.twilioDeliveryFailures.set(customer, failure);
		else this.core.state.twilioDeliveryFailures.delete(customer);
	}

	/** Sends one status callback for a message now (for duplicates and out-of-order tests). */
	async pushStatus(input: z.input<typeof statusInput>): Promise<void> {
		const value = statusInput.parse(input);
		const message = this.core.state.messages.get(value.messageId);
		if (!message || message.direction !== 'outbound') {
			throw new SandboxConfigError(`No outbound message ${value.messageId} exists in the sandbox.`);
		}
		const failed = value.status === 'failed' || value.status === 'undelivered';
		const code = value.errorCode ?? (message.provider === 'twilio' ? 63024 : 131026);
		const failure = failed
			? {
					code,
					message:
						value.errorMessage ??
						(message.provider === 'twilio' ? twilioErrorMessage(code) : metaError(code).details)
				}
			: undefined;
		await this.core.emitStatus(message, value.status as SandboxMessageStatus, failure);
	}

	/** Does Meta's subscription check against a number's callback URL: the challenge must come back. */
	async verifyMetaWebhook(
		phoneNumberId: string
	): Promise<{ ok: boolean; url: string; status?: number; body?: string }> {
		const number = this.core.state.metaNumbers.get(phoneNumberId);
		const callback = number && (number.webhookUrl ?? this.core.defaultWebhookUrl('meta'));
		if (!number || !callback)
			throw new SandboxConfigError(
				`The Meta number ${phoneNumberId} has no callback URL to verify.`
			);
		const challenge = String(Math.floor(Math.random() * 1e9));
		const target = new URL(callback);
		target.searchParams.set('hub.mode', 'subscribe');
		target.searchParams.set('hub.verify_token', number.verifyToken);
		target.searchParams.set('hub.challenge', challenge);
		try {
			const response = await fetch(target, { signal: AbortSignal.timeout(10_000) });
			const body = await response.text();
			return {
				ok: response.status === 200 && body === challenge,
				url: target.href,
				status: response.status,
				body
			};
		} catch (error) {
			return {
				ok: false,
				url: target.href,
				body: error instanceof Error ? error.message : String(error)
			};
		}
	}

	/** Recorded requests Parley made, oldest first, optionally filtered. */
	requests(filter: RequestFilter = {}): RecordedRequest[] {
		return this.core.state.requests.filter(
			(request) =>
				(!filter.provider || request.provider === filter.provider) &&
				(!filter.method || request.method === filter.method.toUpperCase()) &&
				(!filter.path ||
					(typeof filter.path === 'string'
						? request.path === filter.path
						: filter.path.test(request.path)))
		);
	}

	clearRequests(): void {
		this.core.state.requests.length = 0;
	}

	/** Back to the seeded demo state, keeping the current settings. */
	reset(): void {
		const fresh = createSeededState(this.core.state.settings);
		Object.assign(this.core.state, fresh);
	}
}

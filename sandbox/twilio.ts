/**
 * The Twilio REST API stand-in: Messages (send, list, fetch, media), the account, its incoming
 * phone numbers, WhatsApp senders, and the Content API templates with their approval status.
 * Paths are the real ones, so the `twilio` SDK works once its host is rewritten to the sandbox.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { twilioErrorMessage, type SandboxCore, type StatusFailure } from './core.ts';
import { fetchSentMedia } from './sent-media.ts';
import {
	twilioMessageJson,
	accountJson,
	incomingNumberJson,
	contentJson,
	approvalJson,
	page2010,
	pageV1
} from './twilio-resources.ts';
import { bodyOf, parseBodies, type SandboxEnv } from './http.ts';
import {
	renderTemplate,
	twilioSid,
	type SandboxMessage,
	type TwilioAccount,
	type TwilioNumber,
	type TwilioTemplate
} from './state.ts';

type TwilioContext = Context<SandboxEnv & { Variables: { account: TwilioAccount } }>;

const E164 = /^\+[1-9]\d{6,14}$/;

/** Twilio's error body: `{code, message, more_info, status}`. */
export function twilioError(
	c: Context,
	status: 400 | 401 | 404 | 429,
	code: number,
	message: string
): Response {
	const headers: Record<string, string> = {};
	if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="Twilio API"';
	return c.json(
		{ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
		status,
		headers
	);
}

function basicCredentials(
	header: string | undefined
): { username: string; password: string } | undefined {
	if (!header?.startsWith('Basic ')) return undefined;
	const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const stringOrList = z.union([z.string(), z.array(z.string())]);

const sendMessageSchema = z.object({
	To: z.string().optional(),
	From: z.string().optional(),
	Body: z.string().optional(),
	MediaUrl: stringOrList.optional(),
	StatusCallback: z.string().url().optional(),
	ContentSid: z.string().optional(),
	ContentVariables: z.string().optional(),
	MessagingServiceSid: z.string().optional()
});

/** Mounts the Twilio stand-in. */
export function twilioRoutes(core: SandboxCore): Hono<SandboxEnv> {
	const app = new Hono<SandboxEnv & { Variables: { account: TwilioAccount } }>();
	const { state } = core;

	app.use('*', parseBodies());
	// Every Twilio endpoint needs HTTP Basic with the account SID and auth token.
	app.use('*', async (c, next) => {
		const credentials = basicCredentials(c.req.header('authorization'));
		const account = credentials && state.twilioAccounts.get(credentials.username);
		if (!account || account.authToken !== credentials.password) {
			return twilioError(c, 401, 20003, 'Authenticate');
		}
		const pathSid = /^\/2010-04-01\/Accounts\/(AC\w+)/.exec(c.req.path)?.[1];
		if (pathSid && pathSid !== account.sid) return twilioError(c, 401, 20003, 'Authenticate');
		c.set('account', account);
		await next();
	});

	app.get('/2010-04-01/Accounts.json', (c) =>
		c.json(page2010(c, 'accounts', [accountJson(c.get('account'))]))
	);
	app.get('/2010-04-01/Accounts/:file{AC\\w+\\.json}', (c) =>
		c.json(accountJson(c.get('account')))
	);

	app.get('/2010-04-01/Accounts/:sid/IncomingPhoneNumbers.json', (c) => {
		const wanted = c.req.query('PhoneNumber');
		const numbers = [...state.twilioNumbers.values()]
			.filter((number) => number.accountSid === c.get('account').sid)
			.filter((number) => !wanted || number.phoneNumber === wanted)
			.map((number) => incomingNumberJson(number, core.defaultWebhookUrl('twilio')));
		return c.json(page2010(c, 'incoming_phone_numbers', numbers));
	});

	app.post('/2010-04-01/Accounts/:sid/Messages.json', (c) => sendMessage(core, c));

	app.get('/2010-04-01/Accounts/:sid/Messages.json', (c) => {
		const account = c.get('account');
		const messages = [...state.messages.values()]
			.filter((message) => message.provider === 'twilio' && message.owner === account.sid)
			.sort((a, b) => b.createdAt - a.createdAt)
			.map((message) => twilioMessageJson(message));
		return c.json(page2010(c, 'messages', messages));
	});

	app.get('/2010-04-01/Accounts/:sid/Messages/:file{\\w+\\.json}', (c) => {
		const message = state.messages.get(c.req.param('file').replace(/\.json$/, ''));
		if (!message || message.provider !== 'twilio' || message.owner !== c.get('account').sid) {
			return twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`);
		}
		return c.json(twilioMessageJson(message));
	});

	app.get('/2010-04-01/Accounts/:sid/Messages/:messageSid/Media/:mediaSid', (c) => {
		const media = state.media.get(c.req.param('mediaSid').replace(/\.json$/, ''));
		if (!media || media.provider !== 'twilio' || media.owner !== c.get('account').sid) {
			return twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`);
		}
		// Right after the webhook the file may not be there yet (when the setting says so).
		media.fetches = (media.fetches ?? 0) + 1;
		if (media.fetches <= state.settings.twilioMediaNotFoundFirst) {
			return twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`);
		}
		// As Twilio does: a redirect to a short-lived signed CDN URL, to be fetched without credentials.
		const expires = Math.floor(core.now() / 1000) + 300;
		const cdn = new URL(`/_media/twilio/${media.id}`, c.req.url);
		cdn.searchParams.set('Expires', String(expires));
		cdn.searchParams.set('Signature', twilioCdnSignature(media.id, expires));
		return c.redirect(cdn.href, 302);
	});

	app.get('/v2/Channels/Senders', (c) => {
		const channel = c.req.query('Channel');
		const account = c.get('account');
		const senders = [...state.twilioNumbers.values()]
			.filter((number) => number.accountSid === account.sid && number.whatsapp)
			.filter(() => !channel || channel === 'whatsapp')
			.map((number) => ({
				sid: 'XE' + number.sid.slice(2),
				status: 'ONLINE',
				sender_id: `whatsapp:${number.phoneNumber}`,
				configuration: {
					waba_id: null,
					verification_method: 'sms',
					verification_code: null,
					voice_application_sid: null
				},
				webhook: {
					callback_url: number.webhookUrl ?? core.defaultWebhookUrl('twilio') ?? null,
					callback_method: 'POST',
					fallback_url: null,
					fallback_method: 'POST',
					status_callback_url: number.statusCallbackUrl ?? null,
					status_callback_method: 'POST'
				},
				profile: { name: number.friendlyName },
				properties: { quality_rating: 'HIGH', messaging_limit: '1K' },
				offline_reasons: null,
				url: `${new URL(c.req.url).origin}/v2/Channels/Senders/XE${number.sid.slice(2)}`
			}));
		return c.json(pageV1(c, 'senders', senders));
	});

	// Typing Indicators API (messaging.twilio.com, public beta): shows "typing…" to the customer and
	// marks the referenced inbound message, and those before it, read.
	app.post('/v2/Indicators/Typing.json', (c) => {
		const parsed = bodyOf(
			c.get('body'),
			z.object({ channel: z.string(), messageId: z.string().regex(/^(SM|MM)\w{32}$/) })
		);
		if (!parsed.ok) return twilioError(c, 400, 21211, `Invalid parameter: ${parsed.issues}`);
		if (parsed.value.channel !== 'whatsapp') {
			return twilioError(c, 400, 21211, 'Typing indicators are only supported on whatsapp.');
		}
		const message = state.messages.get(parsed.value.messageId);
		if (
			!message ||
			message.provider !== 'twilio' ||
			message.direction !== 'inbound' ||
			message.owner !== c.get('account').sid
		) {
			return twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`);
		}
		for (const earlier of state.messages.values()) {
			const sameThread =
				earlier.provider === 'twilio' &&
				earlier.direction === 'inbound' &&
				earlier.business === message.business &&
				earlier.customer === message.customer &&
				earlier.createdAt <= message.createdAt;
			if (sameThread && earlier.status !== 'read') {
				earlier.status = 'read';
				earlier.statusHistory.push('read');
			}
		}
		return c.json({ success: true });
	});

	const accountTemplates = (account: TwilioAccount) =>
		[...state.twilioTemplates.values()].filter((template) => template.accountSid === account.sid);
	const findTemplate = (c: TwilioContext) => {
		const template = state.twilioTemplates.get(c.req.param('sid') ?? '');
		return template && template.accountSid === c.get('account').sid ? template : undefined;
	};
	const origin = (c: Context) => new URL(c.req.url).origin;
	const notFound = (c: Context) =>
		twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`);

	app.get('/v1/Content', (c) =>
		c.json(
			pageV1(
				c,
				'contents',
				accountTemplates(c.get('account')).map((t) => contentJson(t, origin(c)))
			)
		)
	);
	app.post('/v1/Content', (c) => {
		const parsed = bodyOf(
			c.get('body'),
			z.object({
				friendly_name: z.string().min(1),
				language: z.string().min(1),
				variables: z.record(z.string(), z.string()).default({}),
				types: z.object({ 'twilio/text': z.object({ body: z.string().min(1) }) })
			})
		);
		if (!parsed.ok) return twilioError(c, 400, 21000, `Invalid content: ${parsed.issues}.`);
		const template: TwilioTemplate = {
			sid: twilioSid('HX'),
			accountSid: c.get('account').sid,
			friendlyName: parsed.value.friendly_name,
			language: parsed.value.language,
			variables: parsed.value.variables,
			body: parsed.value.types['twilio/text'].body,
			approvalStatus: 'unsubmitted',
			category: 'UTILITY',
			dateCreated: new Date(core.now())
		};
		state.twilioTemplates.set(template.sid, template);
		return c.json(contentJson(template, origin(c)), 201);
	});
	app.get('/v1/Content/:sid', (c) => {
		const template = findTemplate(c);
		return template ? c.json(contentJson(template, origin(c))) : notFound(c);
	});
	app.delete('/v1/Content/:sid', (c) => {
		const template = findTemplate(c);
		if (!template) return notFound(c);
		state.twilioTemplates.delete(template.sid);
		return c.body(null, 204);
	});
	app.get('/v1/Content/:sid/ApprovalRequests', (c) => {
		const template = findTemplate(c);
		if (!template) return notFound(c);
		return c.json({
			sid: template.sid,
			account_sid: template.accountSid,
			whatsapp: approvalJson(template),
			url: `${origin(c)}/v1/Content/${template.sid}/ApprovalRequests`
		});
	});
	app.post('/v1/Content/:sid/ApprovalRequests/whatsapp', (c) => {
		const template = findTemplate(c);
		if (!template) return notFound(c);
		const parsed = bodyOf(
			c.get('body'),
			z.object({ name: z.string().min(1), category: z.string().min(1) })
		);
		if (!parsed.ok)
			return twilioError(c, 400, 21000, `Invalid approval request: ${parsed.issues}.`);
		template.category = parsed.value.category;
		// Approval is instant in the sandbox; the request still reads `pending` first, as Twilio answers.
		template.approvalStatus = 'approved';
		return c.json({ ...approvalJson(template), name: parsed.value.name, status: 'pending' }, 201);
	});
	app.get('/v1/ContentAndApprovals', (c) =>
		c.json(
			pageV1(
				c,
				'contents',
				accountTemplates(c.get('account')).map((template) => {
					const content: Partial<ReturnType<typeof contentJson>> = contentJson(template, origin(c));
					// ContentAndApprovals entries carry no links or url of their own.
					delete content.links;
					delete content.url;
					return { ...content, approval_requests: approvalJson(template) };
				})
			)
		)
	);

	app.all('*', (c) =>
		twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`)
	);
	return app as unknown as Hono<SandboxEnv>;
}

async function sendMessage(core: SandboxCore, c: TwilioContext): Promise<Response> {
	const { state } = core;
	const account = c.get('account');
	const parsed = bodyOf(c.get('body'), sendMessageSchema);
	if (!parsed.ok) return twilioError(c, 400, 21000, `Invalid parameters: ${parsed.issues}.`);
	const params = parsed.value;

	if (!params.To) return twilioError(c, 400, 21604, "A 'To' phone number is required.");
	let number: TwilioNumber | undefined;
	if (params.From) {
		const from = /^whatsapp:(\+\d+)$/.exec(params.From)?.[1];
		number = from ? state.twilioNumbers.get(from) : undefined;
		if (!number || number.accountSid !== account.sid || !number.whatsapp) {
			return twilioError(
				c,
				400,
				63007,
				'Twilio could not find a Channel with the specified From address'
			);
		}
	} else if (params.MessagingServiceSid) {
		number = [...state.twilioNumbers.values()].find(
			(candidate) =>
				candidate.accountSid === account.sid &&
				candidate.whatsapp &&
				candidate.messagingServiceSid === params.MessagingServiceSid
		);
		if (!number) return twilioError(c, 400, 21705, 'The Messaging Service Sid is invalid.');
	} else {
		return twilioError(c, 400, 21603, "A 'From' phone number is required.");
	}
	const to = /^whatsapp:(\+\d+)$/.exec(params.To)?.[1];
	if (!params.To.startsWith('whatsapp:') && E164.test(params.To)) {
		return twilioError(
			c,
			400,
			21910,
			'Invalid From and To pair. From and To should be of the same channel'
		);
	}
	if (!to || !E164.test(to)) {
		return twilioError(c, 400, 21211, `The 'To' number ${params.To} is not a valid phone number.`);
	}

	const mediaUrls = params.MediaUrl === undefined ? [] : [params.MediaUrl].flat();
	let body = params.Body ?? '';
	let template: SandboxMessage['template'];
	let templateApproved = false;
	if (params.ContentSid) {
		const content = state.twilioTemplates.get(params.ContentSid);
		if (!content || content.accountSid !== account.sid) {
			return twilioError(c, 400, 21655, 'The ContentSid is Invalid.');
		}
		let variables: Record<string, string> = {};
		if (params.ContentVariables) {
			const result = z
				.record(z.string(), z.coerce.string())
				.safeParse(safeJson(params.ContentVariables));
			if (!result.success)
				return twilioError(c, 400, 21656, 'The ContentVariables Parameter is invalid.');
			variables = result.data;
		}
		template = { id: content.sid, variables };
		templateApproved = content.approvalStatus === 'approved';
		body = renderTemplate(content.body, { ...content.variables, ...variables });
	}
	if (!body && mediaUrls.length === 0) {
		return twilioError(c, 400, 21619, 'A text message body or media urls must be specified.');
	}

	const message: SandboxMessage = {
		id: twilioSid(mediaUrls.length ? 'MM' : 'SM'),
		provider: 'twilio',
		direction: 'outbound',
		owner: account.sid,
		business: number.phoneNumber,
		customer: to,
		body,
		media: mediaUrls.map((url) => ({ url, contentType: 'application/octet-stream' })),
		template,
		status: 'queued',
		statusCallbackUrl: params.StatusCallback,
		messagingServiceSid: params.MessagingServiceSid ?? number.messagingServiceSid,
		createdAt: core.now(),
		statusHistory: []
	};
	state.messages.set(message.id, message);

	// As on Twilio, the send is accepted and a rule violation shows up as a failed status later.
	const mediaFetched = await fetchSentMedia(message.media, core.closedSignal);
	let failure: StatusFailure | undefined;
	const configuredFailure = state.twilioDeliveryFailures.get(to);
	if (!mediaFetched) failure = { code: 63019, message: twilioErrorMessage(63019) };
	else if (configuredFailure) failure = configuredFailure;
	else if (state.unreachable.has(to)) failure = { code: 63003, message: twilioErrorMessage(63003) };
	else if (!templateApproved && !core.insideWindow('twilio', number.phoneNumber, to)) {
		failure = { code: 63016, message: twilioErrorMessage(63016) };
	}
	const response = twilioMessageJson(message);
	core.scheduleStatuses(message, ['queued'], failure);
	return c.json(response, 201);
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** The sandbox CDN's signing key: made per process, as a real CDN's is nobody else's. */
const cdnKey = randomBytes(32);

function twilioCdnSignature(mediaId: string, expires: number): string {
	return createHmac('sha256', cdnKey).update(`${mediaId}:${expires}`).digest('base64url');
}

/**
 * Twilio's media CDN (`mms.twiliocdn.com` in production): serves a file to whoever holds the signed
 * URL, and refuses a request that also carries credentials (as S3 refuses two auth mechanisms), so a
 * client that forwards the account's Basic auth across the redirect is caught.
 */
export function twilioCdnRoutes(core: SandboxCore): Hono {
	const app = new Hono();
	app.get('/_media/twilio/:id', (c) => {
		if (c.req.header('authorization')) {
			return c.text(
				'<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified</Message></Error>',
				400,
				{ 'Content-Type': 'application/xml' }
			);
		}
		const id = c.req.param('id');
		const expires = Number(c.req.query('Expires'));
		const signature = c.req.query('Signature') ?? '';
		const expected = twilioCdnSignature(id, expires);
		const signed =
			signature.length === expected.length &&
			timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
		if (!signed || !(expires * 1000 >= core.now())) {
			return c.text(
				'<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
				403,
				{
					'Content-Type': 'application/xml'
				}
			);
		}
		const media = core.state.media.get(id);
		if (!media || media.provider !== 'twilio') return c.text('Not found', 404);
		return c.body(new Uint8Array(media.data), 200, { 'Content-Type': media.contentType });
	});
	return app;
}

/**
 * The Meta Graph API stand-in for the WhatsApp Cloud API: send (text, template, media, reaction,
 * interactive, location), mark as read, media lookup and download, phone number and WABA reads,
 * and message templates. Any `/vNN.0/` version prefix is accepted.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { metaError as metaErrorText, type SandboxCore, type StatusFailure } from './core.ts';
import { fetchSentMedia } from './sent-media.ts';
import { fillTemplate, templateJson } from './meta-templates.ts';
import { bodyOf, parseBodies, type SandboxEnv } from './http.ts';
import {
	graphId,
	metaAppId,
	wamid,
	type MetaNumber,
	type MetaTemplate,
	type SandboxMessage
} from './state.ts';

type MetaContext = Context<SandboxEnv & { Variables: { token: string } }>;

interface GraphErrorInput {
	code: number;
	message: string;
	type?: string;
	subcode?: number;
	details?: string;
}

/** Graph's error body: `{error: {message, type, code, error_subcode, error_data, fbtrace_id}}`. */
export function graphError(
	c: Context,
	status: 400 | 401 | 404 | 429,
	input: GraphErrorInput
): Response {
	return c.json(
		{
			error: {
				message: input.message,
				type: input.type ?? 'OAuthException',
				code: input.code,
				...(input.subcode ? { error_subcode: input.subcode } : {}),
				...(input.details
					? { error_data: { messaging_product: 'whatsapp', details: input.details } }
					: {}),
				fbtrace_id: 'A' + randomBytes(11).toString('base64url')
			}
		},
		status,
		status === 401
			? {
					'WWW-Authenticate':
						'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'
				}
			: {}
	);
}

function invalidToken(c: Context): Response {
	return graphError(c, 401, {
		code: 190,
		message: 'Invalid OAuth access token - Cannot parse access token'
	});
}

function missingObject(c: Context, id: string, method: string): Response {
	return graphError(c, 400, {
		code: 100,
		subcode: 33,
		type: 'GraphMethodException',
		message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`
	});
}

const mediaObject = z.object({
	id: z.string().optional(),
	link: z.string().url().optional(),
	caption: z.string().optional(),
	filename: z.string().optional()
});

const sendSchema = z.object({
	messaging_product: z.literal('whatsapp'),
	recipient_type: z.literal('individual').optional(),
	// A phone in `to`, or a business-scoped user id in `recipient` (when both, `to` wins).
	to: z.string().min(1).optional(),
	recipient: z
		.string()
		.regex(/^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/)
		.optional(),
	type: z
		.enum([
			'text',
			'template',
			'image',
			'audio',
			'video',
			'document',
			'sticker',
			'interactive',
			'reaction',
			'location'
		])
		.default('text'),
	context: z.object({ message_id: z.string() }).optional(),
	text: z
		.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() })
		.optional(),
	template: z
		.object({
			name: z.string().min(1),
			language: z.object({ code: z.string().min(1), policy: z.string().optional() }),
			components: z
				.array(
					z
						.object({
							type: z.string(),
							parameters: z
								.array(z.object({ type: z.string(), text: z.string().optional() }).loose())
								.optional()
						})
						.loose()
				)
				.optional()
		})
		.optional(),
	image: mediaObject.optional(),
	audio: mediaObject.optional(),
	video: mediaObject.optional(),
	document: mediaObject.optional(),
	sticker: mediaObject.optional(),
	interactive: z.record(z.string(), z.unknown()).optional(),
	reaction: z.object({ message_id: z.string(), emoji: z.string() }).optional(),
	location: z
		.object({ latitude: z.coerce.number(), longitude: z.coerce.number() })
		.loose()
		.optional()
});

const markReadSchema = z.object({
	messaging_product: z.literal('whatsapp'),
	status: z.literal('read'),
	message_id: z.string().min(1),
	typing_indicator: z.object({ type: z.literal('text') }).optional()
});

function displayNumber(digits: string): string {
	return '+' + digits.replace(/\D/g, '');
}

/** Mounts the Meta Graph stand-in. */
export function metaRoutes(core: SandboxCore): Hono<SandboxEnv> {
	const app = new Hono<SandboxEnv & { Variables: { token: string } }>();
	const { state } = core;
	const numbersFor = (token: string) =>
		[...state.metaNumbers.values()].filter((number) => number.accessToken === token);

	app.use('*', parseBodies());
	// Graph takes the token from the Authorization header or the access_token query parameter.
	app.use('*', async (c, next) => {
		const header = c.req.header('authorization');
		const token = header?.startsWith('Bearer ')
			? header.slice(7).trim()
			: c.req.query('access_token');
		if (!token || numbersFor(token).length === 0) return invalidToken(c);
		c.set('token', token);
		await next();
	});

	const ownNumber = (c: MetaContext, id: string): MetaNumber | undefined => {
		const number = state.metaNumbers.get(id);
		return number && number.accessToken === c.get('token') ? number : undefined;
	};
	const ownWaba = (c: MetaContext, id: string): MetaNumber[] =>
		numbersFor(c.get('token')).filter((n) => n.wabaId === id);

	app.post('/:version{v\\d+\\.\\d+}/:id/messages', (c) => {
		const number = ownNumber(c, c.req.param('id'));
		if (!number) return missingObject(c, c.req.param('id'), 'POST');
		const payload = c.get('body') as { status?: unknown } | undefined;
		if (payload?.status === 'read') return markRead(core, c, number);
		if (state.settings.metaThrottledSends > 0) {
			state.settings.metaThrottledSends--;
			return graphError(c, 429, {
				code: 130429,
				message: '(#130429) Rate limit hit',
				details:
					'Cloud API message throughput has been reached. Message failed to send because there were too many messages sent from this phone number in a short period of time.'
			});
		}
		return sendMessage(core, c, number);
	});

	app.get('/:version{v\\d+\\.\\d+}/:id/phone_numbers', (c) => {
		const numbers = ownWaba(c, c.req.param('id'));
		if (numbers.length === 0) return missingObject(c, c.req.param('id'), 'GET');
		return c.json({
			data: numbers.map((number) => phoneNumberJson(number, core)),
			paging: cursors()
		});
	});

	app.get('/:version{v\\d+\\.\\d+}/:id/message_templates', (c) => {
		const wabaId = c.req.param('id');
		if (ownWaba(c, wabaId).length === 0) return missingObject(c, wabaId, 'GET');
		const name = c.req.query('name');
		const status = c.req.query('status');
		const templates = [...state.metaTemplates.values()]
			.filter((template) => template.wabaId === wabaId)
			.filter((template) => !name || template.name === name)
			.filter((template) => !status || template.status === status.toUpperCase())
			.map(templateJson);
		return c.json({ data: templates, paging: cursors() });
	});

	app.post('/:version{v\\d+\\.\\d+}/:id/message_templates', (c) => {
		const wabaId = c.req.param('id');
		if (ownWaba(c, wabaId).length === 0) return missingObject(c, wabaId, 'POST');
		const parsed = bodyOf(
			c.get('body'),
			z.object({
				name: z.string().regex(/^[a-z0-9_]+$/),
				language: z.string().min(2),
				category: z.enum(['UTILITY', 'MARKETING', 'AUTHENTICATION']),
				components: z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())
			})
		);
		if (!parsed.ok)
			return graphError(c, 400, {
				code: 100,
				message: `(#100) Invalid parameter: ${parsed.issues}`
			});
		const template: MetaTemplate = {
			id: graphId(),
			wabaId,
			name: parsed.value.name,
			language: parsed.value.language,
			category: parsed.value.category,
			// Review is instant in the sandbox.
			status: 'APPROVED',
			body:
				parsed.value.components.find((component) => component.type.toUpperCase() === 'BODY')
					?.text ?? ''
		};
		state.metaTemplates.set(template.id, template);
		return c.json({ id: template.id, status: 'PENDING', category: template.category });
	});

	// The app the access token belongs to.
	app.get('/:version{v\\d+\\.\\d+}/app', (c) => {
		const number = numbersFor(c.get('token'))[0];
		const id = metaAppId(number.appSecret);
		return c.json({
			link: `https://www.facebook.com/games/?app_id=${id}`,
			name: 'Sandbox app',
			id
		});
	});

	// The apps subscribed to a WhatsApp Business Account: Meta sends its webhooks to them only.
	app.get('/:version{v\\d+\\.\\d+}/:id/subscribed_apps', (c) => {
		const wabaId = c.req.param('id');
		if (ownWaba(c, wabaId).length === 0) return missingObject(c, wabaId, 'GET');
		const apps = [...(state.metaSubscribedApps.get(wabaId) ?? [])];
		return c.json({
			data: apps.map((id) => ({
				whatsapp_business_api_data: {
					id,
					link: `https://www.facebook.com/games/?app_id=${id}`,
					name: 'Sandbox app'
				}
			}))
		});
	});

	app.post('/:version{v\\d+\\.\\d+}/:id/subscribed_apps', (c) => {
		const wabaId = c.req.param('id');
		const numbers = ownWaba(c, wabaId);
		if (numbers.length === 0) return missingObject(c, wabaId, 'POST');
		if (state.settings.metaRefuseAppSubscription) {
			return graphError(c, 400, {
				code: 200,
				type: 'OAuthException',
				message: '(#200) Permissions error'
			});
		}
		const apps = state.metaSubscribedApps.get(wabaId) ?? new Set<string>();
		apps.add(metaAppId(numbers[0].appSecret));
		state.metaSubscribedApps.set(wabaId, apps);
		return c.json({ success: true });
	});

	// One path serves phone numbers, WABAs and media ids, as Graph's object lookup does.
	app.get('/:version{v\\d+\\.\\d+}/:id', (c) => {
		const id = c.req.param('id');
		const number = ownNumber(c, id);
		if (number) return c.json(phoneNumberJson(number, core));
		const waba = ownWaba(c, id)[0];
		if (waba) {
			return c.json({
				id,
				name: waba.verifiedName,
				currency: 'USD',
				timezone_id: '1',
				message_template_namespace: 'sandbox_' + id
			});
		}
		const media = state.media.get(id);
		const owner = media && media.provider === 'meta' ? ownNumber(c, media.owner) : undefined;
		// Media ids from webhooks expire after 7 days: Graph then answers as for any missing object.
		const expired =
			media?.createdAt !== undefined && core.now() - media.createdAt > metaMediaLifetimeMs;
		if (media && owner && !expired) {
			const origin = new URL(c.req.url).origin;
			return c.json({
				messaging_product: 'whatsapp',
				url: `${origin}/_media/meta/${media.id}?hash=${media.sha256.slice(0, 16)}`,
				mime_type: media.contentType,
				sha256: media.sha256,
				file_size: media.data.length,
				id: media.id
			});
		}
		return missingObject(c, id, 'GET');
	});

	app.all('*', (c) =>
		graphError(c, 400, {
			code: 100,
			message: `Unknown path components: ${c.req.path}`,
			type: 'OAuthException'
		})
	);
	return app as unknown as Hono<SandboxEnv>;
}

/** How long Meta keeps an inbound media id. */
export const metaMediaLifetimeMs = 7 * 24 * 60 * 60 * 1000;

/** Serves downloaded media (`GET /_media/meta/{id}` with the owner's Bearer token). */
export function metaMediaRoutes(core: SandboxCore): Hono {
	const app = new Hono();
	app.get('/_media/meta/:id', (c) => {
		const media = core.state.media.get(c.req.param('id'));
		const header = c.req.header('authorization');
		const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
		const owner = media ? core.state.metaNumbers.get(media.owner) : undefined;
		if (!media || media.provider !== 'meta') return c.text('Not found', 404);
		if (!owner || owner.accessToken !== token) return invalidToken(c);
		return c.body(new Uint8Array(media.data), 200, { 'Content-Type': media.contentType });
	});
	return app;
}

function cursors() {
	return { cursors: { before: 'QVFIU', after: 'QVFIU' } };
}

function phoneNumberJson(number: MetaNumber, core: SandboxCore) {
	return {
		verified_name: number.verifiedName,
		code_verification_status: 'VERIFIED',
		display_phone_number: displayNumber(number.displayPhoneNumber),
		quality_rating: 'GREEN',
		platform_type: 'CLOUD_API',
		throughput: { level: 'STANDARD' },
		webhook_configuration: {
			application: number.webhookUrl ?? core.defaultWebhookUrl('meta') ?? ''
		},
		id: number.phoneNumberId
	};
}

function markRead(core: SandboxCore, c: MetaContext, number: MetaNumber): Response {
	const parsed = bodyOf(c.get('body'), markReadSchema);
	if (!parsed.ok)
		return graphError(c, 400, {
			code: 100,
			message: `(#100) Invalid parameter`,
			details: parsed.issues
		});
	const message = core.state.messages.get(parsed.value.message_id);
	if (!message || message.direction !== 'inbound' || message.owner !== number.phoneNumberId) {
		return graphError(c, 400, {
			code: 100,
			message: '(#100) Invalid parameter',
			details: `Message with id ${parsed.value.message_id} was not found for this phone number.`
		});
	}
	message.status = 'read';
	message.statusHistory.push('read');
	return c.json({ success: true });
}

async function sendMessage(
	core: SandboxCore,
	c: MetaContext,
	number: MetaNumber
): Promise<Response> {
	const { state } = core;
	const parsed = bodyOf(c.get('body'), sendSchema);
	if (!parsed.ok) {
		return graphError(c, 400, {
			code: 100,
			message: '(#100) Invalid parameter',
			details: parsed.issues
		});
	}
	const send = parsed.value;
	const phone = send.to && /^\+?\d{6,15}$/.test(send.to) ? '+' + send.to.replace(/^\+/, '') : null;
	if (send.to && !phone) {
		// As reported of the real API: a user id in `to` is answered 200 and never delivered.
		return c.json({
			messaging_product: 'whatsapp',
			contacts: [{ input: send.to, wa_id: send.to }],
			messages: [{ id: wamid() }]
		});
	}
	const customer = phone ?? (send.recipient ? state.userIds.get(send.recipient) : undefined);
	if (!customer) {
		return graphError(c, 400, {
			code: 100,
			message: '(#100) Invalid parameter',
			details: send.recipient
				? `The recipient ${send.recipient} is not a WhatsApp user of this business.`
				: 'The parameter to or recipient is required.'
		});
	}
	const required = (field: string) =>
		graphError(c, 400, {
			code: 131008,
			message: '(#131008) Required parameter is missing',
			details: `The parameter ${field} is required.`
		});

	let body = '';
	const media: SandboxMessage['media'] = [];
	let template: SandboxMessage['template'];
	switch (send.type) {
		case 'text':
			if (!send.text) return required('text');
			body = send.text.body;
			break;
		case 'template': {
			if (!send.template) return required('template');
			const wanted = send.template;
			const found = [...state.metaTemplates.values()].find(
				(candidate) =>
					candidate.wabaId === number.wabaId &&
					candidate.name === wanted.name &&
					candidate.language === wanted.language.code &&
					candidate.status === 'APPROVED'
			);
			if (!found) {
				return graphError(c, 404, {
					code: 132001,
					message: '(#132001) Template name does not exist in the translation',
					details: `template name (${wanted.name}) does not exist in ${wanted.language.code}`
				});
			}
			const filled = fillTemplate(found, wanted.components ?? []);
			if ('mismatch' in filled) {
				return graphError(c, 400, {
					code: 132000,
					message: '(#132000) Number of parameters does not match the expected number of params',
					details: filled.mismatch
				});
			}
			template = { id: found.id, variables: filled.variables };
			body = filled.body;
			if (filled.media) media.push(filled.media);
			break;
		}
		case 'image':
		case 'audio':
		case 'video':
		case 'document':
		case 'sticker': {
			const object = send[send.type];
			if (!object || (!object.link && !object.id))
				return required(`${send.type}.link or ${send.type}.id`);
			media.push({ url: object.link ?? `media:${object.id}`, contentType: send.type });
			body = object.caption ?? '';
			break;
		}
		case 'reaction':
			if (!send.reaction) return required('reaction');
			body = send.reaction.emoji;
			break;
		case 'interactive':
			if (!send.interactive) return required('interactive');
			body = JSON.stringify(send.interactive);
			break;
		case 'location':
			if (!send.location) return required('location');
			body = `${send.location.latitude},${send.location.longitude}`;
			break;
	}

	const outsideWindow = !template && !core.insideWindow('meta', number.phoneNumberId, customer);
	if (outsideWindow && state.settings.metaWindowError === 'response') {
		return graphError(c, 400, {
			code: 131047,
			subcode: 2494010,
			message: '(#131047) Re-engagement message',
			details: metaErrorText(131047).details
		});
	}

	const message: SandboxMessage = {
		id: wamid(),
		provider: 'meta',
		direction: 'outbound',
		owner: number.phoneNumberId,
		business: number.phoneNumberId,
		customer,
		body,
		media,
		template,
		status: 'accepted',
		createdAt: core.now(),
		statusHistory: []
	};
	state.messages.set(message.id, message);

	// Meta fetches a `link` after accepting the send; one that does not answer fails the message.
	const mediaFetched = await fetchSentMedia(message.media, core.closedSignal);
	let failure: StatusFailure | undefined;
	if (!mediaFetched) failure = { code: 131053, message: metaErrorText(131053).details };
	else if (state.unreachable.has(customer))
		failure = { code: 131026, message: metaErrorText(131026).details };
	else if (outsideWindow) failure = { code: 131047, message: metaErrorText(131047).details };
	core.scheduleStatuses(message, [], failure);

	return c.json({
		messaging_product: 'whatsapp',
		contacts: [
			send.to
				? { input: send.to, wa_id: customer.slice(1) }
				: { input: send.recipient, user_id: send.recipient }
		],
		messages: [{ id: message.id, ...(template ? { message_status: 'accepted' } : {}) }]
	});
}

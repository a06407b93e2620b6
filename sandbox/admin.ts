/**
 * `/_sandbox/*`: the HTTP face of SandboxControl, for the dev stack, the phone page and
 * tests written in other languages. Bodies are JSON and validated with zod.
 */
import { Hono, type Context } from 'hono';
import { z, ZodError } from 'zod';
import type { SandboxCore } from './core.ts';
import {
	metaNumberInput,
	metaTemplateInput,
	openAiFailureInput,
	SandboxConfigError,
	settingsInput,
	statusInput,
	twilioAccountInput,
	twilioNumberInput,
	twilioTemplateInput,
	type SandboxControl
} from './control.ts';
import { parseBodies, type SandboxEnv } from './http.ts';
import type { RecordedRequest } from './state.ts';

/** A JSON snapshot of the state (maps become arrays). */
export function stateSnapshot(core: SandboxCore) {
	const { state } = core;
	return {
		settings: state.settings,
		now: new Date(core.now()).toISOString(),
		twilio: {
			accounts: [...state.twilioAccounts.values()],
			numbers: [...state.twilioNumbers.values()],
			templates: [...state.twilioTemplates.values()]
		},
		meta: {
			numbers: [...state.metaNumbers.values()],
			templates: [...state.metaTemplates.values()]
		},
		openai: { apiKeys: [...state.openai.apiKeys], failure: state.openai.failure ?? null },
		messages: [...state.messages.values()],
		unreachable: [...state.unreachable]
	};
}

/** Mounts the control API. */
export function adminRoutes(core: SandboxCore, control: SandboxControl): Hono<SandboxEnv> {
	const app = new Hono<SandboxEnv>();
	app.use('*', parseBodies());

	const input = <T extends z.ZodType>(c: Context<SandboxEnv>, schema: T): z.output<T> =>
		schema.parse(c.get('body') ?? {});

	app.get('/_sandbox/state', (c) => c.json(stateSnapshot(core)));
	app.post('/_sandbox/reset', (c) => {
		control.reset();
		return c.json(stateSnapshot(core));
	});
	app.post('/_sandbox/settings', (c) => c.json(control.configure(input(c, settingsInput))));
	app.post('/_sandbox/clock', (c) => {
		control.advanceTime(input(c, z.object({ advanceMs: z.number().int().min(0) })).advanceMs);
		return c.json({ now: new Date(core.now()).toISOString() });
	});

	app.get('/_sandbox/requests', (c) => {
		const provider = c.req.query('provider') as RecordedRequest['provider'] | undefined;
		return c.json({
			requests: control.requests({
				provider,
				method: c.req.query('method'),
				path: c.req.query('path')
			})
		});
	});
	app.delete('/_sandbox/requests', (c) => {
		control.clearRequests();
		return c.body(null, 204);
	});
	app.get('/_sandbox/webhooks', (c) => c.json({ deliveries: core.state.deliveries }));
	app.post('/_sandbox/webhooks/:id/redeliver', async (c) => {
		const delivery = await core.redeliver(Number(c.req.param('id')));
		return delivery
			? c.json(delivery)
			: c.json({ error: `No webhook delivery ${c.req.param('id')} was recorded.` }, 404);
	});

	app.post('/_sandbox/twilio/accounts', (c) =>
		c.json(control.addTwilioAccount(input(c, twilioAccountInput)), 201)
	);
	app.post('/_sandbox/twilio/numbers', (c) =>
		c.json(control.upsertTwilioNumber(input(c, twilioNumberInput)), 201)
	);
	app.post('/_sandbox/twilio/templates', (c) =>
		c.json(control.addTwilioTemplate(input(c, twilioTemplateInput)), 201)
	);
	app.post('/_sandbox/meta/numbers', (c) =>
		c.json(control.upsertMetaNumber(input(c, metaNumberInput)), 201)
	);
	app.post('/_sandbox/meta/numbers/:id/verify-webhook', async (c) =>
		c.json(await control.verifyMetaWebhook(c.req.param('id')))
	);
	app.post('/_sandbox/meta/templates', (c) =>
		c.json(control.addMetaTemplate(input(c, metaTemplateInput)), 201)
	);
	app.post('/_sandbox/openai/keys', (c) => {
		control.addOpenAiKey(input(c, z.object({ apiKey: z.string().min(1) })).apiKey);
		return c.body(null, 204);
	});
	app.post('/_sandbox/openai/failure', (c) => {
		const value = input(c, openAiFailureInput);
		control.setOpenAiFailure(value.kind, value.times);
		return c.body(null, 204);
	});
	app.post('/_sandbox/media/:id/forget', (c) => {
		control.forgetMedia(c.req.param('id'));
		return c.json({ forgotten: c.req.param('id') });
	});
	app.post('/_sandbox/customers/unreachable', (c) => {
		const value = input(c, z.object({ phone: z.string(), unreachable: z.boolean().default(true) }));
		control.setUnreachable(value.phone, value.unreachable);
		return c.body(null, 204);
	});
	app.post('/_sandbox/statuses', async (c) => {
		await control.pushStatus(input(c, statusInput));
		return c.body(null, 204);
	});

	app.onError((error, c) => {
		if (error instanceof ZodError) {
			return c.json(
				{
					error: error.issues
						.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
						.join('; ')
				},
				400
			);
		}
		if (error instanceof SandboxConfigError) return c.json({ error: error.message }, error.status);
		throw error;
	});
	app.all('*', (c) => c.json({ error: `The sandbox has no ${c.req.method} ${c.req.path}.` }, 404));
	return app;
}

/**
 * The provider sandbox: stateful stand-ins for Twilio, the Meta Graph API and OpenAI on one
 * loopback port, sending webhooks signed as the real providers sign them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { SandboxCore } from './core.ts';
import { SandboxControl } from './control.ts';
import { providerOf, recordRequests } from './http.ts';
import { twilioCdnRoutes, twilioRoutes } from './twilio.ts';
import { metaMediaRoutes, metaRoutes } from './meta.ts';
import { openAiRoutes } from './openai.ts';
import { adminRoutes } from './admin.ts';
import {
	customerRoutes,
	sendCustomerMessage,
	type CustomerMessage,
	type CustomerMessageResult
} from './customer.ts';
import {
	createSeededState,
	type SandboxMessage,
	type SandboxSettings,
	type SandboxState,
	type WebhookDelivery
} from './state.ts';
import { DEMO_CREDENTIALS } from './demo.ts';
import { twilioSdkClient, type TwilioSdkClient } from './twilio-sdk-client.ts';

export { DEMO_CREDENTIALS } from './demo.ts';
export { twilioSignature, metaSignature } from './signatures.ts';
export { twilioSdkClient } from './twilio-sdk-client.ts';
export type { CustomerMessage, CustomerMessageResult } from './customer.ts';
export type { RequestFilter } from './control.ts';
export type * from './state.ts';

export interface SandboxOptions {
	/** TCP port; 0 (the default) picks a free one. */
	port?: number;
	host?: string;
	/**
	 * Where numbers without their own webhook URL send: `${webhookBaseUrl}/twilio-webhook` and
	 * `${webhookBaseUrl}/meta-webhook` (e.g. `http://127.0.0.1:54321/functions/v1`).
	 */
	webhookBaseUrl?: string;
	/** Timing and behaviour; tests set `statusDelayMs` to a few ms. */
	settings?: Partial<SandboxSettings>;
}

export interface DeliveryFilter {
	provider?: WebhookDelivery['provider'];
	kind?: WebhookDelivery['kind'];
	url?: string;
}

/** A running sandbox: its URL, the configuration API, and what was sent and received. */
export class Sandbox extends SandboxControl {
	readonly credentials = DEMO_CREDENTIALS;

	constructor(
		core: SandboxCore,
		private server: Server
	) {
		super(core);
	}

	/** Base URL, e.g. http://127.0.0.1:54330. */
	get url(): string {
		return this.core.url;
	}

	/** Base URLs for each provider's client: the Graph base (append a version such as `/v26.0/...`) and OpenAI's `baseURL`. */
	get urls(): { twilio: string; graph: string; openai: string } {
		return { twilio: this.core.url, graph: this.core.url, openai: `${this.core.url}/v1` };
	}

	/** Points numbers without their own webhook URL at `${url}/twilio-webhook` and `${url}/meta-webhook`. */
	setWebhookBaseUrl(url: string | undefined): void {
		this.core.webhookBaseUrl = url;
	}

	/** The live state (accounts, numbers, messages, windows…); tests read it, the API changes it. */
	get state(): SandboxState {
		return this.core.state;
	}

	/** The `httpClient` to give `twilio(sid, token, { httpClient })` so the SDK talks to this sandbox. */
	twilioHttpClient(): TwilioSdkClient {
		return twilioSdkClient(this.core.url);
	}

	/** Webhooks the sandbox sent (inbound messages and statuses), oldest first. */
	deliveries(filter: DeliveryFilter = {}): WebhookDelivery[] {
		return this.core.state.deliveries.filter(
			(delivery) =>
				(!filter.provider || delivery.provider === filter.provider) &&
				(!filter.kind || delivery.kind === filter.kind) &&
				(!filter.url || delivery.url === filter.url)
		);
	}

	/** A message as the sandbox holds it (sent files carry what their URL answered), by its id. */
	message(id: string): SandboxMessage | undefined {
		return this.core.state.messages.get(id);
	}

	/** Sends a message as a customer: an inbound webhook to the number's URL, signed by its provider. */
	sendCustomerMessage(input: CustomerMessage): Promise<CustomerMessageResult> {
		return sendCustomerMessage(this.core, input);
	}

	/** Sends a recorded webhook again, as providers do on retries. */
	redeliver(deliveryId: number): Promise<WebhookDelivery | undefined> {
		return this.core.redeliver(deliveryId);
	}

	/** Resolves when every scheduled status callback has been delivered. */
	settled(): Promise<void> {
		return this.core.settled();
	}

	/** Stops the server, pending callbacks and hanging requests. */
	async close(): Promise<void> {
		this.core.close();
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}

/** What `.parley/stack.json` should hold under `sandbox`, so the app and tools find it. */
export function sandboxStackInfo(sandbox: Sandbox) {
	return {
		url: sandbox.url,
		phoneUrl: `${sandbox.url}/`,
		twilio: { apiUrl: sandbox.urls.twilio, ...DEMO_CREDENTIALS.twilio },
		meta: { graphUrl: sandbox.urls.graph, ...DEMO_CREDENTIALS.meta },
		openai: { baseUrl: sandbox.urls.openai, ...DEMO_CREDENTIALS.openai }
	};
}

/** Edge Function secrets that point the provider adapters and the AI client at the sandbox. */
export function sandboxFunctionSecrets(sandbox: Sandbox): Record<string, string> {
	return {
		PARLEY_PROVIDER_SANDBOX_URL: sandbox.url,
		TWILIO_API_URL: sandbox.urls.twilio,
		META_GRAPH_URL: sandbox.urls.graph,
		OPENAI_BASE_URL: sandbox.urls.openai,
		OPENAI_API_KEY: DEMO_CREDENTIALS.openai.apiKey
	};
}

/** Builds the Hono app that routes each real provider path to its stand-in. */
export function createSandboxApp(core: SandboxCore, control: SandboxControl): Hono {
	const twilio = twilioRoutes(core);
	const meta = metaRoutes(core);
	const metaMedia = metaMediaRoutes(core);
	const twilioCdn = twilioCdnRoutes(core);
	const openai = openAiRoutes(core);
	const admin = adminRoutes(core, control);
	const customer = customerRoutes(core);

	const app = new Hono();
	app.use('*', recordRequests(core));
	app.all('*', (c) => {
		const path = c.req.path;
		const provider = providerOf(path);
		const target =
			provider === 'twilio'
				? twilio
				: provider === 'meta'
					? meta
					: provider === 'openai'
						? openai
						: provider === 'media'
							? path.startsWith('/_media/twilio/')
								? twilioCdn
								: metaMedia
							: path.startsWith('/_sandbox/')
								? admin
								: customer;
		return target.fetch(c.req.raw, c.env);
	});
	app.onError((error, c) => c.json({ error: `The sandbox failed: ${error.message}` }, 500));
	return app;
}

/** Starts the sandbox seeded with DEMO_CREDENTIALS. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const host = options.host ?? '127.0.0.1';
	const core = new SandboxCore(createSeededState(options.settings), options.webhookBaseUrl);
	const server = createServer();
	const sandbox = new Sandbox(core, server);
	server.on('request', getRequestListener(createSandboxApp(core, sandbox).fetch));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const { port } = server.address() as AddressInfo;
	core.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
	return sandbox;
}

import { createServer, type Server } from 'node:http';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { z } from 'zod';
import { isDatabaseUnavailable, openDb, type Db } from './db.ts';
import { migrate } from './migrate.ts';
import { ANON_KEY, SERVICE_ROLE_KEY } from './keys.ts';
import { corsHeaders, json, writeJson } from './http.ts';
import { lacksRequiredApiKey, MISSING_API_KEY_BODY } from './gateway.ts';
import type { Mail, StackContext, StackEvents, StackService } from './context.ts';
import { createAuthService } from './auth/index.ts';
import { createRestService } from './rest/index.ts';
import { createRealtimeService } from './realtime/index.ts';
import { createFunctionsService } from './functions.ts';
import { createStorageService } from './storage/index.ts';
import { scheduledJobs, startScheduler } from './scheduler.ts';

export interface StackOptions {
	/** TCP port; 0 picks a free one. Default 54321, as `supabase start`. */
	port?: number;
	host?: string;
	/** A PostgreSQL connection string; without it PGlite runs embedded. */
	databaseUrl?: string;
	/** PGlite data directory; without it (and without databaseUrl) the database is in memory. */
	dataDir?: string;
	/** The `supabase/` folder to migrate and serve functions from. */
	supabaseDir?: string;
	/** Run seed.sql on a new database (default true). */
	seed?: boolean;
	/** Dev mode: functions reload when their files change. */
	dev?: boolean;
	/** Where Storage keeps object bytes (`.parley/storage` for the dev stack); without it a temp dir. */
	storageDir?: string;
	/** Extra secrets for Edge Functions (added to supabase/functions/.env). */
	functionSecrets?: Record<string, string>;
	/** Deno workers each function may run at once (default PARLEY_FUNCTION_WORKERS, else 2). */
	functionWorkers?: number;
	/**
	 * The database address functions are given (SUPABASE_DB_URL) from the stack's own, when they
	 * reach it another way (through a pooler, say); by default the stack's own.
	 */
	functionsDatabaseUrl?: (databaseUrl: string) => string;
	/** How often snoozed conversations whose time has come wake up (default a minute, as pg_cron); 0 never. */
	snoozeWakeEveryMs?: number;
	/** How often queued message counts are folded into the reports (default 10 s, as pg_cron); 0 never. */
	volumeFoldEveryMs?: number;
}

/** A running local Supabase-compatible stack. */
export interface Stack {
	url: string;
	anonKey: string;
	serviceRoleKey: string;
	db: Db;
	context: StackContext;
	close(): Promise<void>;
}

/** Thrown when the port is taken, so the CLI can say so in words. */
export class PortInUseError extends Error {}

/** Opens the database, migrates it, and serves Auth, REST, Realtime, Storage and Functions on one port. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
	const host = options.host ?? '127.0.0.1';
	const supabaseDir = resolve(options.supabaseDir ?? 'supabase');
	const db = await openDb({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
	try {
		await migrate(db, supabaseDir, { seed: options.seed });
	} catch (error) {
		await db.close();
		throw error;
	}

	const server = createServer();
	const port = await listen(server, options.port ?? 54321, host).catch(async (error) => {
		await db.close();
		throw error;
	});
	const url = `http://${host}:${port}`;
	const context: StackContext = {
		db,
		url,
		supabaseDir,
		mailbox: [],
		events: new EventEmitter<StackEvents>(),
		dev: options.dev ?? false
	};

	const services: Record<string, StackService> = {
		'/auth/v1': await createAuthService(context),
		'/rest/v1': await createRestService(context),
		'/realtime/v1': await createRealtimeService(context),
		'/storage/v1': await createStorageService(context, { dir: options.storageDir })
	};
	const functions = await createFunctionsService(context, {
		secrets: options.functionSecrets,
		databaseUrl:
			options.databaseUrl && options.functionsDatabaseUrl
				? options.functionsDatabaseUrl(options.databaseUrl)
				: options.databaseUrl,
		workersPerFunction: options.functionWorkers
	});

	const stopScheduler = startScheduler(
		db,
		scheduledJobs({
			snoozeWakeEveryMs: options.snoozeWakeEveryMs ?? 60_000,
			volumeFoldEveryMs: options.volumeFoldEveryMs ?? 10_000
		})
	);

	const fetch = async (request: Request): Promise<Response> => {
		const requestUrl = new URL(request.url);
		const { pathname } = requestUrl;
		if (request.method === 'OPTIONS') {
			return new Response(null, {
				status: 204,
				headers: {
					...corsHeaders,
					'access-control-allow-headers':
						request.headers.get('access-control-request-headers') ??
						'authorization, x-client-info, apikey, content-type'
				}
			});
		}
		if (lacksRequiredApiKey(requestUrl, request.headers.get('apikey'))) {
			return json(MISSING_API_KEY_BODY, 401, corsHeaders);
		}
		if (pathname === '/_parley/mailbox') {
			if (request.method === 'POST') return postToMailbox(context, request);
			return json(context.mailbox);
		}
		for (const [prefix, service] of Object.entries(services)) {
			if (pathname === prefix || pathname.startsWith(prefix + '/')) {
				const response = await service.fetch(request, pathname.slice(prefix.length) || '/');
				for (const [k, v] of Object.entries(corsHeaders)) response.headers.set(k, v);
				return response;
			}
		}
		return json({ message: 'no Supabase API at this path' }, 404);
	};
	const serveWeb = getRequestListener(async (request) => {
		try {
			return await fetch(request);
		} catch (error) {
			if (isDatabaseUnavailable(error)) {
				console.error('[stack] database unavailable:', (error as Error).message);
				return json(
					{
						message:
							'The local stack could not reach its database; try again in a moment, it reconnects on its own.'
					},
					503,
					{ 'retry-after': '1' }
				);
			}
			console.error('[stack]', error);
			return json({ message: 'internal error in the local stack' }, 500);
		}
	});
	server.on('request', (request, response) => {
		if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS')
			response.once('finish', () => context.events.emit('request-finished'));
		// Functions take every method (their own OPTIONS included) and no apikey, as on the platform.
		const { pathname, search } = new URL(request.url ?? '/', url);
		if (!pathname.startsWith(FUNCTIONS_PREFIX)) {
			void serveWeb(request, response);
			return;
		}
		functions
			.serve(request, response, pathname.slice(FUNCTIONS_PREFIX.length - 1), search)
			.catch((error: unknown) => {
				console.error('[stack]', error);
				if (response.headersSent) response.destroy();
				else writeJson(response, 500, { message: 'internal error in the local stack' });
			});
	});
	server.on('upgrade', (request, socket, head) => {
		const requestUrl = new URL(request.url ?? '/', url);
		const { pathname } = requestUrl;
		const apikey = request.headers.apikey;
		if (lacksRequiredApiKey(requestUrl, Array.isArray(apikey) ? apikey[0] : apikey)) {
			const body = JSON.stringify(MISSING_API_KEY_BODY);
			socket.end(
				`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
			);
			return;
		}
		const service = pathname.startsWith('/realtime/v1/') ? services['/realtime/v1'] : undefined;
		if (service?.upgrade) service.upgrade(request, socket, head);
		else socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
	});

	return {
		url,
		anonKey: ANON_KEY,
		serviceRoleKey: SERVICE_ROLE_KEY,
		db,
		context,
		async close() {
			// Services first: upgraded websockets and function workers would keep server.close() waiting.
			const closed = new Promise<void>((done) => server.close(() => done()));
			for (const service of Object.values(services)) await service.close?.();
			await functions.close?.();
			server.closeAllConnections();
			await closed;
			await stopScheduler();
			await db.close();
		}
	};
}

/** Requests under this path go to the functions host; the rest (`/functions/v1` itself too) do not. */
const FUNCTIONS_PREFIX = '/functions/v1/';

/**
 * Lets the app drop a mail (an invitation link, say) into the dev mailbox, as a real mailer would
 * deliver it; only the local stack has this endpoint.
 */
async function postToMailbox(context: StackContext, request: Request): Promise<Response> {
	const parsed = mailSchema.safeParse(await request.json().catch(() => null));
	if (!parsed.success) {
		return json(
			{ message: 'A mail needs to, subject and text (strings), and optionally link.' },
			400
		);
	}
	const mail: Mail = { id: randomUUID(), ...parsed.data, sentAt: new Date().toISOString() };
	context.mailbox.push(mail);
	return json(mail, 201);
}

const mailSchema = z.object({
	to: z.string().min(1),
	subject: z.string(),
	text: z.string(),
	link: z.string().optional()
});

function listen(server: Server, port: number, host: string): Promise<number> {
	return new Promise((done, fail) => {
		server.once('error', (error: NodeJS.ErrnoException) => {
			fail(
				error.code === 'EADDRINUSE'
					? new PortInUseError(
							`port ${port} on ${host} is already in use; stop what uses it or set PARLEY_STACK_PORT`
						)
					: error
			);
		});
		server.listen(port, host, () => {
			const address = server.address();
			done(typeof address === 'object' && address ? address.port : port);
		});
	});
}

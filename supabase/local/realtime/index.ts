import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import type { StackContext, StackEvents, StackService } from '../context.ts';
import type { Tx } from '../db.ts';
import { json } from '../http.ts';
import { effectiveToken, type JwtClaims } from '../jwt.ts';
import { Connection } from './connection.ts';
import { deliverDatabaseBroadcasts } from './database-broadcasts.ts';
import { RealtimeHub } from './hub.ts';
import { supportedVsns, type BroadcastBody, type Vsn } from './protocol.ts';
import { RealtimeTokenError, tokenFromKey, verifyRealtimeToken } from './tokens.ts';

/**
 * `pg_notify(RECHECK_CHANNEL, '<user id>')` from any transaction (a membership trigger, say) makes
 * Realtime ask RLS again for that user's private channels once it commits.
 */
export const RECHECK_CHANNEL = 'parley_realtime_recheck';

/**
 * Asks Realtime to re-check `userId`'s private channels once the caller's transaction commits (or at
 * once outside one); for code that changes what RLS lets a user read, such as removing a membership.
 */
export async function requestRealtimeRecheck(db: Tx, userId: string): Promise<void> {
	await db.query('select pg_notify($1, $2)', [RECHECK_CHANNEL, userId]);
}

/** Realtime as the rest of the stack sees it: a service plus a way to re-authorize a user's channels. */
export interface RealtimeService extends StackService {
	/** Re-runs the read policies of every private channel of `userId`, closing those no longer allowed. */
	recheckUser(userId: string): Promise<void>;
}

const SHUTDOWN_POLL_MS = 200;

/** Clients heartbeat every 25 s; one silent for this long is gone (Phoenix uses the same limit). */
const IDLE_TIMEOUT_MS = 60_000;

const broadcastBatch = z.object({
	messages: z.array(
		z.object({
			topic: z.string().min(1),
			event: z.string(),
			payload: z.unknown().optional(),
			private: z.boolean().optional()
		})
	)
});

/** Supabase Realtime at /realtime/v1: the Phoenix websocket and the HTTP broadcast API. */
export async function createRealtimeService(context: StackContext): Promise<RealtimeService> {
	const hub = new RealtimeHub<Connection>(context.db);
	const server = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
	const stopDelivery = await deliverDatabaseBroadcasts(context.db, hub);
	const stopRecheck = await context.db.listen(
		RECHECK_CHANNEL,
		(userId) => {
			hub
				.recheckUser(userId.trim())
				.catch((error) => console.error('[realtime] re-check failed:', error));
		},
		// Re-check requests sent while the LISTEN session was down are lost: check everyone.
		() => {
			hub.recheckAll().catch((error) => console.error('[realtime] re-check failed:', error));
		}
	);
	const onSessionsRevoked = ({ userId, sessionIds }: StackEvents['sessions-revoked'][0]) =>
		hub.revokeSessions(userId, sessionIds);
	context.events.on('sessions-revoked', onSessionsRevoked);
	const idleSweep = setInterval(() => {
		const cutoff = Date.now() - IDLE_TIMEOUT_MS;
		for (const connection of hub.connections)
			if (connection.lastSeen < cutoff) connection.terminate();
	}, IDLE_TIMEOUT_MS / 2);
	idleSweep.unref();

	// An HTTP server's close() waits for upgraded sockets too, and is called before the services are
	// closed; so once the server stops listening, the sockets are dropped and the close can finish.
	let shutdownWatch: NodeJS.Timeout | undefined;
	const watchShutdown = (httpServer: Server | undefined) => {
		if (shutdownWatch || !httpServer) return;
		shutdownWatch = setInterval(() => {
			if (httpServer.listening) return;
			clearInterval(shutdownWatch);
			for (const connection of [...hub.connections]) connection.terminate();
		}, SHUTDOWN_POLL_MS);
		shutdownWatch.unref();
	};

	/** Checks the socket's apikey before accepting it, answering like Supabase with 401 `{"error"}`. */
	async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		socket.on('error', () => socket.destroy());
		watchShutdown((socket as Socket & { server?: Server }).server);
		const url = new URL(request.url ?? '/', context.url);
		if (url.pathname.replace(/\/+$/, '') !== '/realtime/v1/websocket') {
			refuse(
				socket,
				404,
				'There is no Realtime socket at this path; connect to /realtime/v1/websocket.'
			);
			return;
		}
		const vsn = url.searchParams.get('vsn') ?? '1.0.0';
		if (!supportedVsns.includes(vsn as Vsn)) {
			refuse(socket, 400, `Protocol version ${vsn} is not supported; use vsn 1.0.0 or 2.0.0.`);
			return;
		}
		const header = request.headers.apikey;
		const token = tokenFromKey(
			url.searchParams.get('apikey') ?? (Array.isArray(header) ? header[0] : header)
		);
		if (!token) {
			refuse(
				socket,
				401,
				'No apikey was given; connect with ?apikey=<your anon or publishable key>.'
			);
			return;
		}
		try {
			await verifyRealtimeToken(token);
		} catch (error) {
			if (!(error instanceof RealtimeTokenError)) throw error;
			refuse(socket, 401, `The apikey was refused: ${error.message}.`);
			return;
		}
		server.handleUpgrade(request, socket, head, (ws) => new Connection(ws, vsn as Vsn, token, hub));
	}

	/** `POST /api/broadcast` (batch) and `POST /api/broadcast/<topic>/events/<event>` (httpSend). */
	async function fetch(request: Request, subpath: string): Promise<Response> {
		const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)\/?$/.exec(subpath);
		if (
			request.method !== 'POST' ||
			(!single && subpath.replace(/\/+$/, '') !== '/api/broadcast')
		) {
			return json({ error: 'The local Realtime only serves POST /api/broadcast over HTTP.' }, 404);
		}
		const token = effectiveToken(
			request.headers.get('authorization'),
			request.headers.get('apikey')
		);
		if (!token) return json({ error: 'No apikey was given; send the apikey header.' }, 401);
		let claims: JwtClaims;
		try {
			claims = await verifyRealtimeToken(token);
		} catch (error) {
			if (!(error instanceof RealtimeTokenError)) throw error;
			return json({ error: `The token was refused: ${error.message}.` }, 401);
		}

		const messages: { topic: string; event: string; body: BroadcastBody; private: boolean }[] = [];
		if (single) {
			const query = new URL(request.url).searchParams;
			if ([...query.keys()].some((key) => key.startsWith('persist'))) {
				return json(
					{ error: 'Stored (persisted) broadcasts are not supported by the local stack.' },
					422
				);
			}
			const isBinary = (request.headers.get('content-type') ?? '').startsWith(
				'application/octet-stream'
			);
			const raw = Buffer.from(await request.arrayBuffer());
			let body: BroadcastBody;
			if (isBinary) body = { binary: raw };
			else {
				try {
					body = { json: JSON.stringify(JSON.parse(raw.toString('utf8'))) };
				} catch {
					return json(
						{ error: 'The body is not JSON; send JSON or application/octet-stream.' },
						400
					);
				}
			}
			messages.push({
				topic: decodeURIComponent(single[1]),
				event: decodeURIComponent(single[2]),
				body,
				private: query.get('private') === 'true'
			});
		} else {
			const parsed = broadcastBatch.safeParse(await request.json().catch(() => undefined));
			if (!parsed.success) {
				return json(
					{ error: 'The body must be {"messages":[{"topic","event","payload","private"}]}.' },
					400
				);
			}
			for (const message of parsed.data.messages) {
				messages.push({
					topic: message.topic,
					event: message.event,
					body: { json: JSON.stringify(message.payload ?? {}) },
					private: message.private === true
				});
			}
		}

		// Private messages go out only where the sender's token may write, as Supabase drops the rest.
		const mayWrite = new Map<string, Promise<boolean>>();
		for (const message of messages) {
			if (message.private) {
				let allowed = mayWrite.get(message.topic);
				if (!allowed) {
					allowed = hub
						.authorize(message.topic, claims)
						.then((policies) => policies.broadcastWrite);
					mayWrite.set(message.topic, allowed);
				}
				if (!(await allowed)) continue;
			}
			hub.broadcast(message.topic, message.private, message.event, message.body);
		}
		return new Response(null, { status: 202 });
	}

	return {
		fetch,
		upgrade(request, socket, head) {
			upgrade(request, socket, head).catch((error) => {
				console.error('[realtime] upgrade failed:', error);
				refuse(socket, 500, 'The local Realtime failed to open the socket.');
			});
		},
		recheckUser: (userId) => hub.recheckUser(userId),
		async close() {
			clearInterval(idleSweep);
			clearInterval(shutdownWatch);
			context.events.off('sessions-revoked', onSessionsRevoked);
			for (const connection of [...hub.connections]) connection.terminate();
			await stopDelivery();
			await stopRecheck();
			await new Promise<void>((done) => server.close(() => done()));
		}
	};
}

function refuse(socket: Duplex, status: number, message: string): void {
	if (socket.destroyed) return;
	const body = JSON.stringify({ error: message });
	socket.end(
		`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
			'Content-Type: application/json; charset=utf-8\r\n' +
			`Content-Length: ${Buffer.byteLength(body)}\r\n` +
			'Connection: close\r\n\r\n' +
			body
	);
}

import { z } from 'zod';
import type { StackContext, StackEvents, StackService } from '../context.ts';
import type { Tx } from '../db.ts';
import { json } from '../http.ts';
import { effectiveToken, type JwtClaims } from '../jwt.ts';
import { checkChannelPolicies } from './authorization.ts';
import { deliverDatabaseBroadcasts } from './database-broadcasts.ts';
import { startFanout } from './fanout.ts';
import type { BroadcastBody } from './protocol.ts';
import { RealtimeTokenError, verifyRealtimeToken } from './tokens.ts';

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

/**
 * Supabase Realtime at /realtime/v1: the Phoenix websocket and the HTTP broadcast API. The sockets
 * live in a process of their own (fanout-process.ts), so writing a broadcast to many sockets never
 * holds up REST or the functions proxy; this side reads broadcast rows and answers RLS questions.
 */
export async function createRealtimeService(context: StackContext): Promise<RealtimeService> {
	const fanout = await startFanout(context.db);
	const delivery = await deliverDatabaseBroadcasts(context.db, fanout);
	const onWritten = () => delivery.readSoon();
	context.events.on('request-finished', onWritten);
	const stopRecheck = await context.db.listen(
		RECHECK_CHANNEL,
		(userId) => {
			fanout
				.recheckUser(userId.trim())
				.catch((error) => console.error('[realtime] re-check failed:', error));
		},
		// Re-check requests sent while the LISTEN session was down are lost: check everyone.
		() => {
			fanout.recheckAll().catch((error) => console.error('[realtime] re-check failed:', error));
		}
	);
	const onSessionsRevoked = ({ userId, sessionIds }: StackEvents['sessions-revoked'][0]) =>
		fanout.revokeSessions(userId, sessionIds);
	context.events.on('sessions-revoked', onSessionsRevoked);

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
					allowed = checkChannelPolicies(context.db, message.topic, claims).then(
						(policies) => policies.broadcastWrite
					);
					mayWrite.set(message.topic, allowed);
				}
				if (!(await allowed)) continue;
			}
			fanout.broadcast(message.topic, message.private, message.event, message.body);
		}
		return new Response(null, { status: 202 });
	}

	return {
		fetch,
		upgrade(request, socket, head) {
			socket.on('error', () => socket.destroy());
			fanout.upgrade(request, socket, head);
		},
		recheckUser: (userId) => fanout.recheckUser(userId),
		async close() {
			context.events.off('sessions-revoked', onSessionsRevoked);
			context.events.off('request-finished', onWritten);
			await delivery.stop();
			await stopRecheck();
			await fanout.close();
		}
	};
}

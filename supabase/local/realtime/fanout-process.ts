/**
 * The Realtime fan-out process: owns every Realtime websocket (the stack hands each upgraded socket
 * over), keeps channels and presence, and writes each broadcast to the sockets of its topic, so
 * encoding and socket writes never hold up the stack's event loop. Row reads and RLS checks stay
 * with the stack, which owns the database; this process asks it over IPC.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { JwtClaims } from '../jwt.ts';
import type { ChannelPolicies } from './authorization.ts';
import { Connection } from './connection.ts';
import type { FromFanout, ToFanout, WireBody } from './fanout-messages.ts';
import { RealtimeHub } from './hub.ts';
import { supportedVsns, type BroadcastBody, type Vsn } from './protocol.ts';
import { RealtimeTokenError, tokenFromKey, verifyRealtimeToken } from './tokens.ts';

/** Clients heartbeat every 25 s; one silent for this long is gone (Phoenix uses the same limit). */
const IDLE_TIMEOUT_MS = 60_000;

function tell(message: FromFanout): void {
	// A stack killed while this process starts is gone before it can hear `ready`.
	if (process.connected) process.send?.(message);
}

const waitingForPolicies = new Map<
	number,
	{ resolve(policies: ChannelPolicies): void; reject(error: Error): void }
>();
let nextId = 1;

function authorize(name: string, claims: JwtClaims): Promise<ChannelPolicies> {
	const id = nextId++;
	return new Promise((resolve, reject) => {
		waitingForPolicies.set(id, { resolve, reject });
		tell({ type: 'authorize', id, name, claims });
	});
}

const waitingForWatch = new Map<number, () => void>();

/** Tells the stack which topics have channels here; a new one is joined once the stack has heard. */
function watchTopic(topic: string, isPrivate: boolean, watch: boolean): Promise<void> {
	const id = nextId++;
	tell({ type: 'watch', id, topic, private: isPrivate, watch });
	if (!watch) return Promise.resolve();
	return new Promise((resolve) => waitingForWatch.set(id, resolve));
}

const hub = new RealtimeHub<Connection>(authorize, watchTopic);
const server = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });

const idleSweep = setInterval(() => {
	const cutoff = Date.now() - IDLE_TIMEOUT_MS;
	for (const connection of hub.connections)
		if (connection.lastSeen < cutoff) connection.terminate();
}, IDLE_TIMEOUT_MS / 2);
idleSweep.unref();

function bodyOf(body: WireBody): BroadcastBody {
	return 'json' in body ? body : { binary: Buffer.from(body.base64, 'base64') };
}

/** Checks the socket's path, protocol version and apikey, answering like Supabase with `{"error"}`. */
async function accept(url: URL, request: IncomingMessage, socket: Socket, head: Buffer) {
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
	server.handleUpgrade(
		request,
		socket,
		head,
		(ws) => new Connection(ws, vsn as Vsn, token, hub, socket)
	);
}

function refuse(socket: Socket, status: number, message: string): void {
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

function upgrade(message: Extract<ToFanout, { type: 'upgrade' }>, socket: Socket | undefined) {
	if (!socket) return;
	socket.on('error', () => socket.destroy());
	// What ws reads of the request: method, url and headers; the socket came on its own.
	const request = { method: 'GET', url: message.url, headers: message.headers } as IncomingMessage;
	const url = new URL(message.url, 'http://localhost');
	accept(url, request, socket, Buffer.from(message.head, 'base64')).catch((error) => {
		console.error('[realtime] upgrade failed:', error);
		refuse(socket, 500, 'The local Realtime failed to open the socket.');
	});
}

function recheck(id: number, userId: string | undefined): void {
	(userId === undefined ? hub.recheckAll() : hub.recheckUser(userId)).then(
		() => tell({ type: 'rechecked', id }),
		(error: Error) => tell({ type: 'rechecked', id, error: error.message })
	);
}

function close(): void {
	clearInterval(idleSweep);
	for (const connection of [...hub.connections]) connection.terminate();
	server.close(() => {
		tell({ type: 'closed' });
		process.disconnect?.();
	});
}

process.on('message', (raw: unknown, handle: unknown) => {
	// Only the stack writes to this channel (fanout.ts), with the types of fanout-messages.ts.
	const message = raw as ToFanout;
	switch (message.type) {
		case 'upgrade':
			upgrade(message, handle as Socket | undefined);
			return;
		case 'broadcasts':
			for (const item of message.items)
				hub.broadcast(item.topic, item.private, item.event, bodyOf(item.body), item.meta);
			return;
		case 'resync':
			hub.resyncAll(message.message);
			return;
		case 'recheck':
			recheck(message.id, message.userId);
			return;
		case 'revoke':
			hub.revokeSessions(message.userId, message.sessionIds);
			return;
		case 'authorized': {
			const waiting = waitingForPolicies.get(message.id);
			waitingForPolicies.delete(message.id);
			if (message.policies) waiting?.resolve(message.policies);
			else waiting?.reject(new Error(message.error ?? 'the authorization check failed'));
			return;
		}
		case 'watching':
			waitingForWatch.get(message.id)?.();
			waitingForWatch.delete(message.id);
			return;
		case 'close':
			close();
			return;
	}
});

// The stack is gone (closed or killed): nothing is left to serve.
process.on('disconnect', () => process.exit(0));

tell({ type: 'ready' });

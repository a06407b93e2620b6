import { createHash, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { JwtClaims } from '../jwt.ts';
import type { ChannelPolicies } from './authorization.ts';
import { RealtimeHub, type Channel, type ChannelSocket } from './hub.ts';
import {
	decodeFrame,
	encodeMessage,
	FrameError,
	textFrame,
	type ClientBroadcast,
	type OutgoingFrame,
	type PhoenixMessage,
	type Vsn
} from './protocol.ts';
import { RealtimeTokenError, tokenFromKey, verifyRealtimeToken } from './tokens.ts';

/** A socket that has this much unsent data cannot keep up; it is dropped and the client reconnects. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface JoinConfig {
	broadcast?: { self?: unknown; ack?: unknown };
	presence?: { key?: unknown; enabled?: unknown };
	postgres_changes?: unknown;
	private?: unknown;
}

/** One realtime websocket: its channels, and the Phoenix conversation with its client. */
export class Connection implements ChannelSocket {
	readonly channels = new Map<string, Channel>();
	lastSeen = Date.now();
	private closed = false;
	// Frames are handled one at a time so an async join cannot be overtaken by later pushes.
	private pending: Promise<void> = Promise.resolve();
	private corked = false;

	constructor(
		readonly ws: WebSocket,
		readonly vsn: Vsn,
		/** The apikey's token: what channels act with when a join carries no access_token. */
		readonly token: string,
		private readonly hub: RealtimeHub<Connection>,
		/** The socket under `ws`: frames sent in one tick leave in one write. */
		private readonly socket?: Pick<Socket, 'cork' | 'uncork'>
	) {
		hub.connections.add(this);
		ws.on('message', (data, isBinary) => this.receive(toBuffer(data), isBinary));
		ws.on('close', () => this.dispose());
		ws.on('error', () => this.dispose());
	}

	/** Queues a frame without waiting; a socket too far behind is dropped instead of buffering forever. */
	send(frame: OutgoingFrame): void {
		if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
		if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
			this.ws.terminate();
			this.dispose();
			return;
		}
		// A batch of broadcasts arrives in one message from the stack: its frames to this socket go
		// out in one write at the end of the tick instead of a system call each.
		if (this.socket && !this.corked) {
			this.corked = true;
			this.socket.cork();
			process.nextTick(() => {
				this.corked = false;
				this.socket!.uncork();
			});
		}
		// ws frames the shared bytes without copying them; `binary` picks the opcode.
		this.ws.send(frame.data, { binary: frame.binary });
	}

	push(message: PhoenixMessage): void {
		this.send(textFrame(encodeMessage(this.vsn, message)));
	}

	private reply(
		request: PhoenixMessage | ClientBroadcast,
		status: 'ok' | 'error',
		response: unknown
	): void {
		this.push({
			joinRef: request.joinRef,
			ref: request.ref,
			topic: request.topic,
			event: 'phx_reply',
			payload: { status, response }
		});
	}

	/** Ends the socket from the server side (stack shutdown, idle client). */
	terminate(): void {
		this.ws.terminate();
		this.dispose();
	}

	private dispose(): void {
		if (this.closed) return;
		this.closed = true;
		this.hub.connections.delete(this);
		for (const channel of [...this.channels.values()]) this.hub.remove(channel);
	}

	private receive(data: Buffer, isBinary: boolean): void {
		this.lastSeen = Date.now();
		this.pending = this.pending
			.then(async () => {
				if (this.closed) return;
				const frame = decodeFrame(data, isBinary, this.vsn);
				if (frame.kind === 'broadcast') this.handleBroadcast(frame.broadcast);
				else await this.handleMessage(frame.message);
			})
			.catch((error) => {
				if (!(error instanceof FrameError)) console.error('[realtime]', error);
				// A client that sends what is not Phoenix is closed, as Phoenix closes it.
				if (error instanceof FrameError) this.ws.close(1003, error.message.slice(0, 120));
			});
	}

	private async handleMessage(message: PhoenixMessage): Promise<void> {
		if (message.topic === 'phoenix' && message.event === 'heartbeat') {
			this.reply(message, 'ok', {});
			return;
		}
		if (message.event === 'phx_join') {
			await this.join(message);
			return;
		}
		const channel = this.channels.get(message.topic);
		if (!channel) {
			this.reply(message, 'error', { reason: 'unmatched topic' });
			return;
		}
		switch (message.event) {
			case 'phx_leave':
				this.reply(message, 'ok', {});
				this.hub.remove(channel);
				return;
			case 'access_token':
				await this.refreshToken(channel, message.payload);
				return;
			case 'presence':
				this.handlePresence(channel, message);
				return;
		}
	}

	private async join(message: PhoenixMessage): Promise<void> {
		if (!message.topic.startsWith('realtime:')) {
			this.reply(message, 'error', { reason: 'unmatched topic' });
			return;
		}
		const joinRef = message.joinRef ?? message.ref ?? '';
		const payload = (message.payload ?? {}) as { config?: JoinConfig; access_token?: unknown };
		const config = payload.config ?? {};
		const name = message.topic.slice('realtime:'.length);
		const isPrivate = config.private === true;
		const presenceEnabled = config.presence?.enabled === true;
		const postgresChanges = Array.isArray(config.postgres_changes)
			? (config.postgres_changes as unknown[])
			: [];

		const previous = this.channels.get(message.topic);
		if (previous) this.closeDuplicate(previous);

		const token = tokenFromKey(payload.access_token) ?? this.token;
		let claims: JwtClaims;
		try {
			claims = await verifyRealtimeToken(token);
		} catch (error) {
			if (!(error instanceof RealtimeTokenError)) throw error;
			this.reply(message, 'error', { reason: `InvalidJWTToken: ${error.message}` });
			return;
		}
		let policies: ChannelPolicies | undefined;
		try {
			policies = isPrivate ? await this.hub.authorize(name, claims) : undefined;
		} catch (error) {
			console.error('[realtime] authorization query failed:', error);
			this.reply(message, 'error', {
				reason: `Realtime could not check your permissions for this Channel topic: ${name} (${(error as Error).message})`
			});
			return;
		}
		if (this.closed) return;
		if (policies && !RealtimeHub.mayRead(policies, presenceEnabled)) {
			this.reply(message, 'error', {
				reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`
			});
			return;
		}
		// The join is answered only once the stack sends this topic's broadcasts.
		try {
			await this.hub.watch(name, isPrivate);
		} catch (error) {
			// The hub has already counted this join as ended.
			this.reply(message, 'error', {
				reason: `Realtime could not start sending this Channel topic: ${name} (${(error as Error).message})`
			});
			return;
		}
		if (this.closed) {
			this.hub.unwatchIfUnused(name, isPrivate);
			return;
		}
		const presenceKey =
			typeof config.presence?.key === 'string' && config.presence.key
				? config.presence.key
				: randomUUID();
		const channel: Channel = {
			connection: this,
			topic: message.topic,
			name,
			isPrivate,
			joinRef,
			self: config.broadcast?.self === true,
			ack: config.broadcast?.ack === true,
			presenceKey,
			presenceEnabled,
			token,
			claims,
			policies
		};
		this.channels.set(message.topic, channel);
		this.hub.add(channel);
		this.reply(message, 'ok', {
			postgres_changes: postgresChanges.map((filter) => ({
				...(filter as object),
				id: postgresChangesId(filter)
			}))
		});
		if (postgresChanges.length > 0) {
			// Parley uses broadcast from the database; say so rather than stay silently subscribed.
			this.pushSystem(channel, {
				extension: 'postgres_changes',
				status: 'error',
				message:
					'postgres_changes is not supported by the local stack; use broadcast from the database (realtime.broadcast_changes) instead',
				channel: name
			});
		}
		if (RealtimeHub.receivesPresence(channel)) this.pushPresenceState(channel);
	}

	/** Phoenix closes the old channel when a topic is joined again on the same socket. */
	private closeDuplicate(previous: Channel): void {
		this.push({
			joinRef: previous.joinRef,
			ref: previous.joinRef,
			topic: previous.topic,
			event: 'phx_close',
			payload: {}
		});
		this.hub.remove(previous);
	}

	private pushSystem(channel: Channel, payload: Record<string, unknown>): void {
		this.push({
			joinRef: channel.joinRef,
			ref: null,
			topic: channel.topic,
			event: 'system',
			payload
		});
	}

	private pushPresenceState(channel: Channel): void {
		this.push({
			joinRef: channel.joinRef,
			ref: null,
			topic: channel.topic,
			event: 'presence_state',
			payload: this.hub.presence(channel.name, channel.isPrivate).state()
		});
	}

	/** `access_token` push: verify the new token and ask RLS again; no reply, as Supabase. */
	private async refreshToken(channel: Channel, payload: unknown): Promise<void> {
		const token =
			tokenFromKey((payload as { access_token?: unknown } | null)?.access_token) ?? this.token;
		if (token === channel.token) return;
		let claims: JwtClaims;
		try {
			claims = await verifyRealtimeToken(token);
		} catch (error) {
			if (!(error instanceof RealtimeTokenError)) throw error;
			this.hub.closeWithError(channel, `InvalidJWTToken: ${error.message}`);
			return;
		}
		if (channel.isPrivate) {
			const policies = await this.hub.authorize(channel.name, claims);
			if (this.channels.get(channel.topic) !== channel) return;
			if (!RealtimeHub.mayRead(policies, channel.presenceEnabled)) {
				this.hub.closeWithError(
					channel,
					`You no longer have permission to read from this Channel topic: ${channel.name}`
				);
				return;
			}
			channel.policies = policies;
		}
		channel.token = token;
		channel.claims = claims;
		this.hub.scheduleExpiry(channel);
	}

	private handleBroadcast(broadcast: ClientBroadcast): void {
		const channel = this.channels.get(broadcast.topic);
		if (!channel) {
			this.reply(broadcast, 'error', { reason: 'unmatched topic' });
			return;
		}
		// A private channel that may not write has its broadcasts dropped without a word, as Supabase does.
		if (channel.isPrivate && !channel.policies?.broadcastWrite) return;
		this.hub.broadcast(
			channel.name,
			channel.isPrivate,
			broadcast.event,
			broadcast.body,
			undefined,
			channel
		);
		if (channel.ack) this.reply(broadcast, 'ok', {});
	}

	private handlePresence(channel: Channel, message: PhoenixMessage): void {
		const payload = (message.payload ?? {}) as { event?: unknown; payload?: unknown };
		if (channel.isPrivate && !channel.policies?.presenceWrite) {
			this.reply(message, 'error', {
				reason: `Unauthorized: You do not have permissions to track presence on this Channel topic: ${channel.name}`
			});
			return;
		}
		const presence = this.hub.presence(channel.name, channel.isPrivate);
		if (payload.event === 'track') {
			const meta =
				payload.payload && typeof payload.payload === 'object'
					? (payload.payload as Record<string, unknown>)
					: {};
			// Tracking makes the client visible even if it does not listen for presence itself.
			this.reply(message, 'ok', {});
			this.hub.sendPresenceDiff(
				channel.name,
				channel.isPrivate,
				presence.track(channel, channel.presenceKey, meta)
			);
		} else if (payload.event === 'untrack') {
			this.reply(message, 'ok', {});
			const diff = presence.untrack(channel);
			if (diff) this.hub.sendPresenceDiff(channel.name, channel.isPrivate, diff);
		} else {
			this.reply(message, 'error', { reason: 'presence events are track and untrack' });
		}
	}
}

/** A stable id for a postgres_changes filter, so a rejoin echoes the same id. */
function postgresChangesId(filter: unknown): number {
	return createHash('sha1').update(JSON.stringify(filter)).digest().readUInt32BE(0) >> 1;
}

function toBuffer(data: WebSocket.RawData): Buffer {
	if (Buffer.isBuffer(data)) return data;
	if (Array.isArray(data)) return Buffer.concat(data);
	return Buffer.from(data);
}

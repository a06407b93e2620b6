import type { JwtClaims } from '../jwt.ts';
import type { ChannelPolicies } from './authorization.ts';
import { PresenceGroup, type PresenceDiff } from './presence.ts';
import {
	encodeMessage,
	encodeUserBroadcast,
	textFrame,
	type BroadcastBody,
	type OutgoingFrame,
	type PhoenixMessage,
	type Vsn
} from './protocol.ts';
import { isExpired } from './tokens.ts';

/**
 * A socket as the hub sees it: its joined channels and a way to write to it. The websocket
 * connection implements it; the hub depends on this, never on the connection module.
 */
export interface ChannelSocket {
	readonly vsn: Vsn;
	readonly channels: Map<string, Channel>;
	/** Writes an already encoded frame; the same frame object may go to many sockets. */
	send(frame: OutgoingFrame): void;
	push(message: PhoenixMessage): void;
}

/** One joined channel: a socket's subscription to `realtime:<name>`. */
export interface Channel {
	readonly connection: ChannelSocket;
	/** `realtime:<name>`, as the client addresses it. */
	readonly topic: string;
	/** The name RLS sees as `realtime.topic()`. */
	readonly name: string;
	readonly isPrivate: boolean;
	readonly joinRef: string;
	readonly self: boolean;
	readonly ack: boolean;
	readonly presenceKey: string;
	presenceEnabled: boolean;
	token: string;
	claims: JwtClaims;
	/** What the token may do on a private topic; cached until the token changes or a re-check. */
	policies?: ChannelPolicies;
	expiryTimer?: NodeJS.Timeout;
}

/** Public and private channels of one name never see each other's messages. */
export function groupKey(name: string, isPrivate: boolean): string {
	return `${isPrivate ? 'private' : 'public'}:${name}`;
}

// setTimeout takes at most a signed 32-bit delay; longer expiries are re-armed.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * The registry of joined channels: fans messages out to the channels of a topic, keeps presence,
 * and enforces token expiry and revocation. Sending never waits on a socket.
 */
export class RealtimeHub<Socket extends ChannelSocket = ChannelSocket> {
	/** The open sockets, as the service that accepted them typed them. */
	readonly connections = new Set<Socket>();
	private readonly groups = new Map<string, Set<Channel>>();
	private readonly presenceGroups = new Map<string, PresenceGroup<Channel>>();
	/** Topics whose broadcasts the source was asked for, settled once it has heard. */
	private readonly watched = new Map<string, Promise<void>>();
	/** Joins under way per topic: between `watch` and `add` or `unwatchIfUnused`. */
	private readonly joining = new Map<string, number>();

	/**
	 * `authorize` asks RLS what `claims` may do on private topic `name` (the database's side).
	 * `watchTopic`, when given, tells the source of broadcasts that a topic is wanted (`true`, settled
	 * once the source has heard) or no longer wanted (`false`); without it every topic is wanted.
	 */
	constructor(
		readonly authorize: (name: string, claims: JwtClaims) => Promise<ChannelPolicies>,
		private readonly watchTopic?: (
			name: string,
			isPrivate: boolean,
			watch: boolean
		) => Promise<void>
	) {}

	/**
	 * Resolves once the source sends this topic's broadcasts. Every call is a join under way, and
	 * must be followed by `add` (the join succeeded) or `unwatchIfUnused` (it was abandoned):
	 * until then the topic's watch is kept even if its group empties, so the channel added gets
	 * everything committed after its join is answered.
	 */
	async watch(name: string, isPrivate: boolean): Promise<void> {
		const key = groupKey(name, isPrivate);
		this.joining.set(key, (this.joining.get(key) ?? 0) + 1);
		if (!this.watchTopic) return;
		try {
			for (;;) {
				let watching = this.watched.get(key);
				if (!watching) {
					watching = this.watchTopic(name, isPrivate, true);
					this.watched.set(key, watching);
					// A refused watch is forgotten, so the next join asks again.
					watching.catch(() => {
						if (this.watched.get(key) === watching) this.watched.delete(key);
					});
				}
				await watching;
				// A refused watch that another join started was forgotten: ask again.
				if (this.watched.get(key) === watching) return;
			}
		} catch (error) {
			this.joined(key);
			throw error;
		}
	}

	/** A join under way ended (added or abandoned). */
	private joined(key: string): void {
		const count = (this.joining.get(key) ?? 0) - 1;
		if (count > 0) this.joining.set(key, count);
		else this.joining.delete(key);
	}

	/** Ends a topic's watch when no channel has it and no join of it is under way. */
	private unwatchIfIdle(name: string, isPrivate: boolean): void {
		const key = groupKey(name, isPrivate);
		if (this.groups.has(key) || this.joining.has(key) || !this.watched.delete(key)) return;
		this.watchTopic?.(name, isPrivate, false).catch(() => undefined);
	}

	/** Whether a private channel's policies let it join (or stay): it must be able to read something. */
	static mayRead(policies: ChannelPolicies, presenceEnabled: boolean): boolean {
		return policies.broadcastRead || (presenceEnabled && policies.presenceRead);
	}

	/** Adds a joined channel; it ends the join `watch` began. */
	add(channel: Channel): void {
		const key = groupKey(channel.name, channel.isPrivate);
		if (this.joining.has(key)) this.joined(key);
		let group = this.groups.get(key);
		if (!group) this.groups.set(key, (group = new Set()));
		group.add(channel);
		this.scheduleExpiry(channel);
	}

	/** A join that `watch` began was abandoned: its topic's watch ends if nothing else needs it. */
	unwatchIfUnused(name: string, isPrivate: boolean): void {
		const key = groupKey(name, isPrivate);
		if (this.joining.has(key)) this.joined(key);
		this.unwatchIfIdle(name, isPrivate);
	}

	/** Removes a channel (leave, close, socket gone) and tells the others its presence left. */
	remove(channel: Channel): void {
		clearTimeout(channel.expiryTimer);
		channel.connection.channels.delete(channel.topic);
		const key = groupKey(channel.name, channel.isPrivate);
		const group = this.groups.get(key);
		if (!group?.delete(channel)) return;
		if (group.size === 0) {
			this.groups.delete(key);
			this.unwatchIfIdle(channel.name, channel.isPrivate);
		}
		const presence = this.presenceGroups.get(key);
		const diff = presence?.untrack(channel);
		if (presence && presence.size === 0) this.presenceGroups.delete(key);
		if (diff) this.sendPresenceDiff(channel.name, channel.isPrivate, diff);
	}

	/** Closes a channel from the server side: a `system` error saying why, then `phx_close`. */
	closeWithError(channel: Channel, message: string): void {
		if (channel.connection.channels.get(channel.topic) !== channel) return;
		channel.connection.push({
			joinRef: channel.joinRef,
			ref: null,
			topic: channel.topic,
			event: 'system',
			payload: { extension: 'system', status: 'error', message }
		});
		channel.connection.push({
			joinRef: channel.joinRef,
			ref: channel.joinRef,
			topic: channel.topic,
			event: 'phx_close',
			payload: {}
		});
		this.remove(channel);
	}

	/**
	 * Tells every joined channel that messages may have been missed (the database connection was
	 * lost), as a `system` message its client can observe with `channel.on('system', …)` and answer
	 * by fetching current state again. The channels stay joined.
	 */
	resyncAll(message: string): void {
		for (const connection of this.connections) {
			for (const channel of connection.channels.values()) {
				connection.push({
					joinRef: channel.joinRef,
					ref: null,
					topic: channel.topic,
					event: 'system',
					payload: { extension: 'system', status: 'ok', resync: true, message }
				});
			}
		}
	}

	/** Asks RLS again for every private channel (for example after re-check requests were missed). */
	async recheckAll(): Promise<void> {
		const users = new Set<string>();
		for (const connection of this.connections)
			for (const channel of connection.channels.values())
				if (channel.isPrivate && typeof channel.claims.sub === 'string')
					users.add(channel.claims.sub);
		await Promise.all([...users].map((userId) => this.recheckUser(userId)));
	}

	/** Closes the channel when its token expires; a fresh `access_token` reschedules it. */
	scheduleExpiry(channel: Channel): void {
		clearTimeout(channel.expiryTimer);
		const exp = channel.claims.exp;
		if (typeof exp !== 'number') return;
		const delay = exp * 1000 - Date.now();
		const token = channel.token;
		channel.expiryTimer = setTimeout(
			() => {
				if (channel.token !== token) return;
				if (isExpired(channel.claims)) {
					const seconds = Math.max(0, Math.floor(Date.now() / 1000 - exp));
					this.closeWithError(channel, `Token has expired ${seconds} seconds ago`);
				} else this.scheduleExpiry(channel);
			},
			Math.max(0, Math.min(delay, MAX_TIMER_DELAY))
		);
		channel.expiryTimer.unref();
	}

	/**
	 * Sends a user broadcast to every channel of a topic that may read it. `sender` is left out unless
	 * it asked for `self`. The frame is encoded once per protocol version (user broadcasts carry no
	 * join or message ref, so nothing differs between sockets) and its bytes are shared by all.
	 */
	broadcast(
		name: string,
		isPrivate: boolean,
		event: string,
		body: BroadcastBody,
		meta?: Record<string, unknown>,
		sender?: Channel
	): void {
		const group = this.groups.get(groupKey(name, isPrivate));
		if (!group) return;
		const frames = new Map<Vsn, OutgoingFrame | undefined>();
		const now = Date.now();
		for (const channel of group) {
			if (channel === sender && !channel.self) continue;
			if (isPrivate && !channel.policies?.broadcastRead) continue;
			if (isExpired(channel.claims, now)) continue;
			const vsn = channel.connection.vsn;
			if (!frames.has(vsn))
				frames.set(vsn, encodeUserBroadcast(vsn, channel.topic, event, body, meta));
			const frame = frames.get(vsn);
			if (frame !== undefined) channel.connection.send(frame);
		}
	}

	/** The presence group of a topic, created on first use. */
	presence(name: string, isPrivate: boolean): PresenceGroup<Channel> {
		const key = groupKey(name, isPrivate);
		let presence = this.presenceGroups.get(key);
		if (!presence) this.presenceGroups.set(key, (presence = new PresenceGroup()));
		return presence;
	}

	/** Whether a channel gets presence events: it listens for presence and, if private, may read it. */
	static receivesPresence(channel: Channel): boolean {
		return (
			channel.presenceEnabled && (!channel.isPrivate || Boolean(channel.policies?.presenceRead))
		);
	}

	sendPresenceDiff(name: string, isPrivate: boolean, diff: PresenceDiff): void {
		const group = this.groups.get(groupKey(name, isPrivate));
		if (!group) return;
		const frames = new Map<Vsn, OutgoingFrame>();
		const now = Date.now();
		for (const channel of group) {
			if (!RealtimeHub.receivesPresence(channel) || isExpired(channel.claims, now)) continue;
			const vsn = channel.connection.vsn;
			let frame = frames.get(vsn);
			if (!frame) {
				frame = textFrame(
					encodeMessage(vsn, {
						joinRef: null,
						ref: null,
						topic: channel.topic,
						event: 'presence_diff',
						payload: diff
					})
				);
				frames.set(vsn, frame);
			}
			channel.connection.send(frame);
		}
	}

	/** Private channels acting for `userId` (optionally only some of its sessions). */
	private privateChannelsOf(userId: string, sessionIds?: string[]): Channel[] {
		const channels: Channel[] = [];
		for (const connection of this.connections) {
			for (const channel of connection.channels.values()) {
				if (!channel.isPrivate || channel.claims.sub !== userId) continue;
				if (sessionIds && !sessionIds.includes(String(channel.claims.session_id))) continue;
				channels.push(channel);
			}
		}
		return channels;
	}

	/** Sessions ended (sign-out, user deleted): their private channels close at once. */
	revokeSessions(userId: string, sessionIds?: string[]): void {
		for (const channel of this.privateChannelsOf(userId, sessionIds)) {
			this.closeWithError(
				channel,
				`Your session has ended, so this channel was closed; sign in again to read from this Channel topic: ${channel.name}`
			);
		}
	}

	/**
	 * Asks RLS again for every private channel of a user (for example after a membership was removed):
	 * channels that may no longer read are closed, the others keep the new policies.
	 */
	async recheckUser(userId: string): Promise<void> {
		await Promise.all(
			this.privateChannelsOf(userId).map(async (channel) => {
				const token = channel.token;
				const policies = await this.authorize(channel.name, channel.claims);
				if (channel.token !== token || channel.connection.channels.get(channel.topic) !== channel)
					return;
				if (RealtimeHub.mayRead(policies, channel.presenceEnabled)) channel.policies = policies;
				else
					this.closeWithError(
						channel,
						`You no longer have permission to read from this Channel topic: ${channel.name}`
					);
			})
		);
	}
}

import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { loadSupabaseBrowserClient } from '$lib/supabase/browser';
import type { SupabasePublicConfig } from '$lib/supabase/config';

/** Live connection state of a subscription, for a small "live" dot on the page. */
export type LiveStatus = 'connecting' | 'live' | 'offline';

/** What to do with a private topic: broadcast events to listen to, and optionally presence. */
export interface TopicListeners {
	/** Event name → handler of its payload (database broadcasts carry {operation, record, old_record}). */
	events: Record<string, (payload: Record<string, unknown>) => void>;
	/**
	 * Realtime says it may have missed events on this topic (it lost its database connection and
	 * could not read them back): fetch the current state again.
	 */
	onResync?: () => void;
	/**
	 * The listener is on the topic: once it joins, at once when the topic was already joined, and
	 * again after every rejoin. Broadcasts are not kept, so anything read before this may have
	 * missed a change sent meanwhile (the page's first load, or a dropped socket): read it again.
	 */
	onJoin?: () => void;
	/** Who else is here: tracked with `presence.state` once joined; `onSync` gets everyone's states. */
	presence?: {
		key: string;
		state: () => Record<string, unknown>;
		onSync: (states: Record<string, unknown>[]) => void;
	};
}

/**
 * A subscription to a private topic; `send` broadcasts an event to the others on it (typing). Only
 * client topics (`conversation-activity:<id>`) accept it: RLS drops sends on topics the database writes.
 */
export interface TopicSubscription {
	readonly status: LiveStatus;
	send(event: string, payload: Record<string, unknown>): void;
}

interface Listener {
	listeners: TopicListeners;
	setStatus: (status: LiveStatus) => void;
}

interface SharedTopic {
	channel: RealtimeChannel | undefined;
	members: Set<Listener>;
	status: LiveStatus;
	/** The first listener's presence: tracked while anyone on this page listens. */
	presence: TopicListeners['presence'];
	/** Set while nobody listens: the moment the topic is left unless someone comes back. */
	leaveTimer: ReturnType<typeof setTimeout> | undefined;
}

// One socket per tab: every topic goes over the browser client's Realtime connection, which
// supabase-js authorises with the session's token and re-authorises on each refresh. supabase-js
// hands out one channel object per topic, so two parts of a page on `tenant:<id>` (the numbers and
// the inbox) share it here: one join per topic, counted, left when the last listener has gone.
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
const topics = new Map<string, SharedTopic>();
// Topics being left: joining one again waits, or supabase-js would hand back the closing channel.
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
const leaving = new Map<string, Promise<unknown>>();

// How long a topic nobody listens to stays joined: the next page (the inbox → a chat, both on
// `tenant:<id>`) mounts after the last one is destroyed, and takes the topic over without a rejoin.
const LINGER_MS = 3000;

function broadcastStatus(shared: SharedTopic, status: LiveStatus): void {
	shared.status = status;
	for (const member of shared.members) member.setStatus(status);
}

/** Joins `name` on the client's socket once its token is set, and routes what arrives to members. */
async function subscribe(client: SupabaseClient, name: string, shared: SharedTopic): Promise<void> {
	const presence = shared.presence;
	await leaving.get(name);
	// The join must carry the signed-in person's token: as anon the private topic would refuse it.
	await client.realtime.setAuth();
	if (topics.get(name) !== shared) return;
	const channel = client.channel(name, {
		config: {
			private: true,
			broadcast: { self: false },
			presence: presence ? { key: presence.key } : undefined
		}
	});
	shared.channel = channel;
	channel.on('broadcast', { event: '*' }, ({ event, payload }) => {
		for (const member of shared.members) {
			member.listeners.events[event]?.(payload as Record<string, unknown>);
		}
	});
	channel.on('system', {}, (payload: { resync?: unknown } | null) => {
		if (payload?.resync !== true) return;
		for (const member of shared.members) member.listeners.onResync?.();
	});
	if (presence) {
		channel.on('presence', { event: 'sync' }, () => {
			const states = Object.values(channel.presenceState()).flatMap(
				(list) => list as unknown as Record<string, unknown>[]
			);
			for (const member of shared.members) member.listeners.presence?.onSync(states);
		});
	}
	channel.subscribe((state) => {
		if (state === 'SUBSCRIBED') {
			if (presence) void channel.track(presence.state());
			broadcastStatus(shared, 'live');
			for (const member of shared.members) member.listeners.onJoin?.();
		} else if (state === 'CLOSED' || state === 'CHANNEL_ERROR' || state === 'TIMED_OUT') {
			broadcastStatus(shared, 'offline');
		}
	});
}

function join(config: SupabasePublicConfig, name: string, listener: Listener): SharedTopic {
	const existing = topics.get(name);
	if (existing) {
		clearTimeout(existing.leaveTimer);
		existing.leaveTimer = undefined;
		// Back from lingering: whoever listens is here again.
		if (existing.members.size === 0 && existing.presence && existing.status === 'live')
			void existing.channel?.track(existing.presence.state());
		existing.members.add(listener);
		listener.setStatus(existing.status);
		// Outside the caller's effect, so what the listener reads is not tracked by it.
		if (existing.status === 'live')
			queueMicrotask(() => {
				if (existing.members.has(listener)) listener.listeners.onJoin?.();
			});
		return existing;
	}
	const shared: SharedTopic = {
		channel: undefined,
		members: new Set([listener]),
		status: 'connecting',
		presence: listener.listeners.presence,
		leaveTimer: undefined
	};
	topics.set(name, shared);
	loadSupabaseBrowserClient(config)
		.then((client) => subscribe(client, name, shared))
		.catch(() => broadcastStatus(shared, 'offline'));
	return shared;
}

function leave(config: SupabasePublicConfig, name: string, listener: Listener): void {
	const shared = topics.get(name);
	if (!shared) return;
	shared.members.delete(listener);
	if (shared.members.size > 0) return;
	// Nobody here views it any more, at once, even while the topic lingers.
	if (shared.presence && shared.status === 'live') void shared.channel?.untrack();
	shared.leaveTimer = setTimeout(() => {
		if (topics.get(name) !== shared || shared.members.size > 0) return;
		topics.delete(name);
		const channel = shared.channel;
		if (!channel) return;
		const removed = loadSupabaseBrowserClient(config)
			.then((client) => client.removeChannel(channel))
			.finally(() => {
				if (leaving.get(name) === removed) leaving.delete(name);
			});
		leaving.set(name, removed);
	}, LINGER_MS);
}

/**
 * Listens to a private Realtime topic while the calling component lives and leaves it when it is
 * destroyed; call it during component setup. Any number of components may listen to one topic:
 * the tab joins it once, on its one socket.
 */
export function listenToTopic(
	configOf: () => SupabasePublicConfig,
	topic: () => string,
	listeners: TopicListeners
): TopicSubscription {
	let status = $state<LiveStatus>('connecting');
	let current: SharedTopic | undefined;

	$effect(() => {
		const config = configOf();
		const name = topic();
		const listener: Listener = { listeners, setStatus: (next) => (status = next) };
		current = join(config, name, listener);
		return () => {
			current = undefined;
			leave(config, name, listener);
		};
	});

	return {
		get status() {
			return status;
		},
		send(event, payload) {
			if (current?.channel && status === 'live')
				void current.channel.send({ type: 'broadcast', event, payload });
		}
	};
}

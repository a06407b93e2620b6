import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { getSupabaseBrowserClient } from '$lib/supabase/browser';
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
	channel: RealtimeChannel;
	members: Set<Listener>;
	status: LiveStatus;
}

// The inbox keeps its own Realtime socket: supabase-js hands out one channel object per topic, so
// two parts of a page joining `tenant:<id>` on the same client (the numbers cards and the inbox)
// would share, and one leaving would cut the other off. Within the inbox, topics are shared here,
// counted, and left when the last listener goes.
let realtimeClient: { url: string; client: SupabaseClient } | undefined;
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
const topics = new Map<string, SharedTopic>();

async function authorisedClient(config: SupabasePublicConfig): Promise<SupabaseClient> {
	const main = getSupabaseBrowserClient(config);
	// The socket always carries the signed-in person's token, read from the main client: without it
	// the join would go out as anon and the private channel would refuse it.
	const accessToken = async () => (await main.auth.getSession()).data.session?.access_token ?? null;
	if (realtimeClient?.url !== config.url) {
		const client = createClient(config.url, config.anonKey, { accessToken });
		realtimeClient = { url: config.url, client };
		// The main client refreshes the session; the socket follows with each new token.
		main.auth.onAuthStateChange(() => {
			void client.realtime.setAuth();
		});
	}
	await realtimeClient.client.realtime.setAuth(await accessToken());
	return realtimeClient.client;
}

function join(client: SupabaseClient, name: string, listener: Listener): SharedTopic {
	const existing = topics.get(name);
	if (existing) {
		existing.members.add(listener);
		listener.setStatus(existing.status);
		return existing;
	}
	const presence = listener.listeners.presence;
	const channel = client.channel(name, {
		config: {
			private: true,
			broadcast: { self: false },
			presence: presence ? { key: presence.key } : undefined
		}
	});
	const shared: SharedTopic = { channel, members: new Set([listener]), status: 'connecting' };
	topics.set(name, shared);
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
			shared.status = 'live';
			if (presence) void channel.track(presence.state());
		} else if (state === 'CLOSED' || state === 'CHANNEL_ERROR' || state === 'TIMED_OUT') {
			shared.status = 'offline';
		}
		for (const member of shared.members) member.setStatus(shared.status);
	});
	return shared;
}

function leave(client: SupabaseClient, name: string, listener: Listener): void {
	const shared = topics.get(name);
	if (!shared) return;
	shared.members.delete(listener);
	if (shared.members.size > 0) return;
	topics.delete(name);
	void client.removeChannel(shared.channel);
}

/**
 * Listens to a private Realtime topic while the calling component lives and leaves it when it is
 * destroyed; call it during component setup. Several components may listen to the same topic.
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
		let cancelled = false;
		let joined: { client: SupabaseClient; listener: Listener } | undefined;
		status = 'connecting';
		(async () => {
			const client = await authorisedClient(config);
			if (cancelled) return;
			const listener: Listener = { listeners, setStatus: (next) => (status = next) };
			joined = { client, listener };
			current = join(client, name, listener);
		})();
		return () => {
			cancelled = true;
			current = undefined;
			if (joined) leave(joined.client, name, joined.listener);
		};
	});

	return {
		get status() {
			return status;
		},
		send(event, payload) {
			if (current && status === 'live')
				void current.channel.send({ type: 'broadcast', event, payload });
		}
	};
}

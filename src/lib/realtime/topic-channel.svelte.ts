import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';

/** Live connection state of a subscription, for a small "live" dot on the page. */
export type LiveStatus = 'connecting' | 'live' | 'offline';

/** What to do with a private topic: broadcast events to listen to, and optionally presence. */
export interface TopicListeners {
	/** Event name → handler of its payload (database broadcasts carry {operation, record, old_record}). */
	events: Record<string, (payload: Record<string, unknown>) => void>;
	/** Who else is here: tracked with `presence.state` once joined; `onSync` gets everyone's states. */
	presence?: {
		key: string;
		state: () => Record<string, unknown>;
		onSync: (states: Record<string, unknown>[]) => void;
	};
}

/** A subscription to a private topic; `send` broadcasts an event to the others on it (typing). */
export interface TopicSubscription {
	readonly status: LiveStatus;
	send(event: string, payload: Record<string, unknown>): void;
}

/**
 * Joins the private topic while the calling component lives and leaves it when destroyed; call it
 * during component setup. The socket is authorised with the session's access token before the
 * join, or it would go out as anon and the private channel would refuse it.
 */
export function listenToTopic(
	clientOf: () => SupabaseClient,
	topic: () => string,
	listeners: TopicListeners
): TopicSubscription {
	let status = $state<LiveStatus>('connecting');
	let current: RealtimeChannel | undefined;

	$effect(() => {
		const supabase = clientOf();
		const name = topic();
		let cancelled = false;
		let channel: RealtimeChannel | undefined;
		status = 'connecting';
		(async () => {
			const {
				data: { session }
			} = await supabase.auth.getSession();
			await supabase.realtime.setAuth(session?.access_token ?? null);
			if (cancelled) return;
			channel = supabase.channel(name, {
				config: {
					private: true,
					broadcast: { self: false },
					presence: listeners.presence ? { key: listeners.presence.key } : undefined
				}
			});
			for (const [event, handler] of Object.entries(listeners.events)) {
				channel.on('broadcast', { event }, ({ payload }) =>
					handler(payload as Record<string, unknown>)
				);
			}
			const presence = listeners.presence;
			if (presence) {
				channel.on('presence', { event: 'sync' }, () => {
					const states = channel?.presenceState() ?? {};
					presence.onSync(
						Object.values(states).flatMap((list) => list as unknown as Record<string, unknown>[])
					);
				});
			}
			current = channel;
			channel.subscribe((state) => {
				if (state === 'SUBSCRIBED') {
					status = 'live';
					if (presence) void channel?.track(presence.state());
				} else if (state === 'CLOSED' || state === 'CHANNEL_ERROR' || state === 'TIMED_OUT') {
					status = 'offline';
				}
			});
		})();
		return () => {
			cancelled = true;
			current = undefined;
			if (channel) void supabase.removeChannel(channel);
		};
	});

	return {
		get status() {
			return status;
		},
		send(event, payload) {
			if (current && status === 'live') void current.send({ type: 'broadcast', event, payload });
		}
	};
}

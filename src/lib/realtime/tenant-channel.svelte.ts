import type { SupabaseClient } from '@supabase/supabase-js';

/** What a database broadcast (`realtime.broadcast_changes`) carries. */
export interface BroadcastChange<Row = Record<string, unknown>> {
	operation: 'INSERT' | 'UPDATE' | 'DELETE';
	record: Row | null;
	old_record: Row | null;
}

/**
 * Listens to one event on the private `tenant:<id>` topic while the calling component lives, and
 * leaves the channel when it is destroyed. Call it during component setup; `clientOf` is only called
 * in the browser. The socket is
 * authorised with the session's access token first: without it the join would go out as anon
 * and the private channel would refuse it. Returns the live connection state for the page.
 */
export function listenToTenant<Row = Record<string, unknown>>(
	clientOf: () => SupabaseClient,
	tenantId: () => string,
	event: string,
	onChange: (change: BroadcastChange<Row>) => void
): { readonly status: 'connecting' | 'live' | 'offline' } {
	let status = $state<'connecting' | 'live' | 'offline'>('connecting');

	$effect(() => {
		const supabase = clientOf();
		const topic = `tenant:${tenantId()}`;
		let cancelled = false;
		let channel: ReturnType<SupabaseClient['channel']> | undefined;
		status = 'connecting';
		(async () => {
			const {
				data: { session }
			} = await supabase.auth.getSession();
			await supabase.realtime.setAuth(session?.access_token ?? null);
			if (cancelled) return;
			channel = supabase
				.channel(topic, { config: { private: true } })
				.on('broadcast', { event }, ({ payload }) => onChange(payload as BroadcastChange<Row>))
				.subscribe((state) => {
					status = state === 'SUBSCRIBED' ? 'live' : state === 'CLOSED' ? 'offline' : status;
					if (state === 'CHANNEL_ERROR' || state === 'TIMED_OUT') status = 'offline';
				});
		})();
		return () => {
			cancelled = true;
			if (channel) void supabase.removeChannel(channel);
		};
	});

	return {
		get status() {
			return status;
		}
	};
}

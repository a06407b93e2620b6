import type { StackContext, StackService } from './context.ts';
import { json } from './http.ts';

/** Supabase Realtime at /realtime/v1. */
export async function createRealtimeService(context: StackContext): Promise<StackService> {
	void context;
	return { fetch: async () => json({ code: 'not_implemented', message: 'not implemented yet' }, 501) };
}

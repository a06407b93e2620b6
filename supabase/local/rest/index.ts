import type { StackContext, StackService } from '../context.ts';
import { json } from '../http.ts';

/** PostgREST-compatible REST at /rest/v1. */
export async function createRestService(context: StackContext): Promise<StackService> {
	void context;
	return { fetch: async () => json({ code: 'not_implemented', message: 'not implemented yet' }, 501) };
}

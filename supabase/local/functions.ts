import type { StackContext, StackService } from './context.ts';
import { json } from './http.ts';

/** Edge Functions host at /functions/v1. */
export async function createFunctionsService(context: StackContext, options: { secrets?: Record<string, string> } = {}): Promise<StackService> {
	void context, options;
	return { fetch: async () => json({ code: 'not_implemented', message: 'not implemented yet' }, 501) };
}

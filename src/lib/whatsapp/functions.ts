import type { ParleyClient } from '$lib/supabase/types';
import { z } from 'zod';
import type { FunctionErrorBody } from './types.ts';

/** What a function call gave: its JSON, or its error body with the HTTP status. */
export type FunctionResult<T> =
	{ ok: true; status: number; data: T } | { ok: false; status: number; error: FunctionErrorBody };

const errorBodySchema = z.object({
	code: z.string(),
	message: z.string(),
	details: z
		.object({
			issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
			missing: z.array(z.string()).optional(),
			windowClosedAt: z.string().nullable().optional()
		})
		.optional()
}) satisfies z.ZodType<FunctionErrorBody>;

const UNREACHABLE: FunctionErrorBody = {
	code: 'internal_error',
	message: 'Parley could not complete this just now. Try again in a moment.'
};

/**
 * Calls an Edge Function as the signed-in person (on the server or in the browser) (their JWT goes with the request) and reads the
 * answer, turning HTTP errors into the function's `{ code, message }` instead of throwing.
 */
export async function callFunction<T>(
	supabase: ParleyClient,
	path: string,
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE' = 'GET',
	/** JSON, or a form (a file upload: the browser sets the multipart boundary). */
	body?: Record<string, unknown> | FormData
): Promise<FunctionResult<T>> {
	const { data, error, response } = await supabase.functions.invoke(path, {
		method,
		...(body === undefined ? {} : { body })
	});
	if (!error) return { ok: true, status: response?.status ?? 200, data: data as T };
	// Known by name, not class, so that this module does not pull supabase-js into every page.
	if (error instanceof Error && error.name === 'FunctionsHttpError' && 'context' in error) {
		const context = error.context as Response;
		const body = errorBodySchema.safeParse(await context.json().catch(() => null));
		if (body.success) return { ok: false, status: context.status, error: body.data };
		return { ok: false, status: context.status, error: UNREACHABLE };
	}
	console.error(error);
	return { ok: false, status: 502, error: UNREACHABLE };
}

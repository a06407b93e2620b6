import type { SubmitFunction } from '@sveltejs/kit';
import { toast } from '$lib/components/ui/toasts.svelte';

/**
 * An `enhance` callback for the members page's forms: the action's sentence becomes a toast, then
 * the page data reloads (so the table shows what the database now holds); the form keeps
 * what was typed unless `resetOnSuccess`. `after` runs last.
 */
export function submitWithToast(
	after?: (succeeded: boolean) => void,
	options: { resetOnSuccess?: boolean } = {}
): AfterSubmit {
	return async ({ result, update }) => {
		if (result.type === 'failure') {
			const message = result.data?.message;
			if (typeof message === 'string') toast.error(message);
		} else if (result.type === 'success') {
			const message = result.data?.message;
			if (typeof message === 'string') toast.success(message);
		} else if (result.type === 'error') {
			toast.error('Something went wrong on our side. Try again in a moment.');
		}
		await update({ reset: result.type === 'success' && (options.resetOnSuccess ?? false) });
		after?.(result.type === 'success' || result.type === 'redirect');
	};
}

/** What an `enhance` callback returns: the handler of the action's result. */
type AfterSubmit = Exclude<Awaited<ReturnType<SubmitFunction>>, void>;

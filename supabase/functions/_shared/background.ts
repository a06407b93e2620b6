/** Work that goes on after a function has answered. */

/** Keeps background work running after the response (Supabase's EdgeRuntime, else a detached promise). */
export function runInBackground(task: Promise<unknown>): void {
	const guarded = task.catch((error) => console.error('background work failed', error));
	const runtime = (globalThis as { EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void } })
		.EdgeRuntime;
	if (runtime?.waitUntil) runtime.waitUntil(guarded);
}

/**
 * Runs inside Deno: the first module of every function worker. It exits when the host's stdin
 * pipe closes (so a worker never outlives the Node process, even one killed with SIGKILL), then
 * loads the function and serves it. `Deno.serve(handler)` modules serve themselves on
 * DENO_SERVE_ADDRESS; `export default { fetch }` modules are served here on that same address.
 */

// Only the few Deno APIs used here, declared so the Node type-check of supabase/local passes.
declare const Deno: {
	args: string[];
	stdin: { readable: ReadableStream<Uint8Array> };
	exit(code?: number): never;
	serve(handler: (request: Request, info: unknown) => Response | Promise<Response>): unknown;
};

// A module, so the declaration above stays local to this file.
export {};

interface FetchModule {
	default?: { fetch?: (request: Request, info: unknown) => Response | Promise<Response> };
}

async function exitWhenHostGoesAway(): Promise<void> {
	// Reading to EOF: the pipe only closes when the host closes it or dies.
	for await (const _chunk of Deno.stdin.readable) void _chunk;
	Deno.exit(0);
}

void exitWhenHostGoesAway();

const functionModule: FetchModule = await import(Deno.args[0]);
const handler = functionModule.default?.fetch;
if (typeof handler === 'function') {
	Deno.serve((request, info) => handler.call(functionModule.default, request, info));
}

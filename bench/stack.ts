import { randomBytes } from 'node:crypto';
import { sandboxFunctionSecrets, startSandbox, type Sandbox } from '../sandbox/index.ts';
import { createScratchDatabase } from '../supabase/local/scratch-database.ts';
import { startStack, type Stack } from '../supabase/local/stack.ts';

export interface BenchStack {
	stack: Stack;
	/** The scratch database's URL, when the stack runs on a PostgreSQL server. */
	databaseUrl?: string;
	/** Present when asked for: the provider sandbox, wired to the stack's functions. */
	sandbox?: Sandbox;
	close(): Promise<void>;
}

/**
 * The local stack on PGlite, or on a scratch database of `databaseServer`; with `sandbox`, also the
 * provider sandbox and the function secrets that point the functions at it.
 */
export async function startBenchStack(
	databaseServer: string | undefined,
	options: { sandbox?: boolean } = {}
): Promise<BenchStack> {
	const scratch = databaseServer
		? await createScratchDatabase(databaseServer, 'parley_bench')
		: undefined;
	const sandbox = options.sandbox ? await startSandbox({ port: 0 }) : undefined;
	const stack = await startStack({
		port: 0,
		seed: false,
		databaseUrl: scratch?.url,
		...(sandbox
			? {
					functionSecrets: {
						...sandboxFunctionSecrets(sandbox),
						PARLEY_ENCRYPTION_KEY: randomBytes(32).toString('base64')
					}
				}
			: {})
	});
	return {
		stack,
		databaseUrl: scratch?.url,
		sandbox,
		async close() {
			await stack.close();
			await sandbox?.close();
			await scratch?.drop();
		}
	};
}

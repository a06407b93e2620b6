/**
 * `npm run stack`: the local Supabase-compatible stack and the provider sandbox, on embedded defaults.
 * Writes .parley/stack.json for the app and tools; Ctrl-C stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PortInUseError, startStack, type Stack } from '../supabase/local/stack.ts';
import { sandboxFunctionSecrets, sandboxStackInfo, startSandbox } from '../sandbox/index.ts';

export interface StackInfo {
	supabaseUrl: string;
	anonKey: string;
	serviceRoleKey: string;
	database: string;
	mailboxUrl: string;
	sandbox: ReturnType<typeof sandboxStackInfo>;
}

/**
 * The key Edge Functions encrypt provider secrets with. Made once per state folder, so secrets
 * stored in that folder's database stay readable across restarts.
 */
async function localEncryptionKey(stateDir: string): Promise<string> {
	const path = resolve(stateDir, 'encryption-key');
	const existing = await readFile(path, 'utf8').catch(() => '');
	if (existing.trim()) return existing.trim();
	const key = randomBytes(32).toString('base64');
	await writeFile(path, key + '\n', { mode: 0o600 });
	return key;
}

/**
 * Starts the provider sandbox and the stack as `npm run stack` and `npm run dev` do, and records
 * where they listen.
 */
export async function runStack(
	options: { dev?: boolean; stateDir?: string } = {}
): Promise<{ stack: Stack; info: StackInfo }> {
	// PARLEY_DATA_DIR lets end-to-end runs keep their database and stack.json away from the developer's.
	const stateDir = resolve(options.stateDir ?? (process.env.PARLEY_DATA_DIR || '.parley'));
	const databaseUrl = process.env.DATABASE_URL || undefined;
	await mkdir(stateDir, { recursive: true });
	const sandbox = await startSandbox({ port: Number(process.env.PARLEY_SANDBOX_PORT ?? 54330) });
	let stack: Stack;
	try {
		stack = await startStack({
			port: Number(process.env.PARLEY_STACK_PORT ?? 54321),
			databaseUrl,
			dataDir: databaseUrl ? undefined : resolve(stateDir, 'db'),
			storageDir: resolve(stateDir, 'storage'),
			dev: options.dev,
			functionSecrets: {
				...sandboxFunctionSecrets(sandbox),
				PARLEY_ENCRYPTION_KEY: await localEncryptionKey(stateDir)
			}
		});
	} catch (error) {
		await sandbox.close();
		throw error;
	}
	sandbox.setWebhookBaseUrl(`${stack.url}/functions/v1`);
	const closeStack = stack.close.bind(stack);
	stack.close = async () => {
		await closeStack();
		await sandbox.close();
	};
	const info: StackInfo = {
		supabaseUrl: stack.url,
		anonKey: stack.anonKey,
		serviceRoleKey: stack.serviceRoleKey,
		database: databaseUrl ? 'postgresql (DATABASE_URL)' : `pglite (${resolve(stateDir, 'db')})`,
		mailboxUrl: `${stack.url}/_parley/mailbox`,
		sandbox: sandboxStackInfo(sandbox)
	};
	await writeFile(resolve(stateDir, 'stack.json'), JSON.stringify(info, null, 2) + '\n');
	return { stack, info };
}

/** Closes the stack on Ctrl-C or SIGTERM, once. */
export function stopOnSignal(stop: () => Promise<void>): void {
	let stopping = false;
	const onSignal = () => {
		if (stopping) return;
		stopping = true;
		stop().finally(() => process.exit(0));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		const { stack, info } = await runStack();
		console.log('Local Supabase stack is up:');
		for (const [key, value] of Object.entries(info)) {
			if (typeof value === 'string') console.log(`  ${key.padEnd(15)} ${value}`);
		}
		console.log(
			`  ${'sandbox'.padEnd(15)} ${info.sandbox.url} (a customer's phone: ${info.sandbox.phoneUrl})`
		);
		stopOnSignal(() => stack.close());
	} catch (error) {
		console.error(error instanceof PortInUseError ? `Cannot start: ${error.message}` : error);
		process.exit(1);
	}
}

/**
 * `npx tsx sandbox/main.ts`: the provider sandbox on its own, for trying Parley without accounts.
 * PARLEY_SANDBOX_PORT (default 54330) and PARLEY_SANDBOX_WEBHOOK_BASE_URL configure it.
 */
import { sandboxStackInfo, startSandbox } from './index.ts';

if (import.meta.url === `file://${process.argv[1]}`) {
	const sandbox = await startSandbox({
		port: Number(process.env.PARLEY_SANDBOX_PORT ?? 54330),
		webhookBaseUrl:
			process.env.PARLEY_SANDBOX_WEBHOOK_BASE_URL ?? 'http://127.0.0.1:54321/functions/v1'
	});
	console.log(`Provider sandbox is up at ${sandbox.url} (phone page at ${sandbox.url}/)`);
	console.log(JSON.stringify(sandboxStackInfo(sandbox), null, 2));
	const stop = () => sandbox.close().finally(() => process.exit(0));
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

/**
 * Webhook-to-screen: agents (real members, realtime sockets on the tenant topic) and the webhook
 * sender share one child process, so each latency is the time from the webhook request's start to
 * the `conversations` broadcast carrying that message reaching each socket, on one clock. The
 * sender is paced fetch (undici) rather than autocannon, because it must know when each request
 * started.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createClient } from '@supabase/supabase-js';
import { startBenchStack } from './stack.ts';
import { prepareBenchTenant, signedTwilioRequests, type SignedRequest } from './tenant.ts';

export interface ScreenOptions {
	databaseServer?: string;
	subscribers?: number;
	/** Messages per second to try; each runs for `seconds`. */
	rates?: number[];
	/** New conversations per second in the last step (default 20). */
	newConversationRate?: number;
	seconds?: number;
	timeoutMs?: number;
}

export interface ScreenStep {
	ratePerSecond: number;
	/** Every message of the step opens a conversation (a customer's first), telling every member. */
	newConversations: boolean;
	sent: number;
	/** Webhooks answered 2xx. */
	accepted: number;
	/** First arrivals of a message's broadcast at a socket, over all sockets. */
	delivered: number;
	expected: number;
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
}

export interface ScreenResult {
	database: 'pglite' | 'postgres';
	subscribers: number;
	steps: ScreenStep[];
	/** Messages the database holds after all steps. */
	stored: number;
	/**
	 * Realtime events (every broadcast on the tenant topic) each agent received per accepted webhook
	 * over the whole run, counted until every message had reached every agent: what hosted Supabase
	 * counts against its message quota, per inbound message and agent. Counted over the whole run
	 * because a step's late deliveries arrive while the next step runs.
	 */
	eventsPerMessagePerAgent: number;
}

interface ChildTask {
	url: string;
	anonKey: string;
	topic: string;
	tokens: string[];
	steps: Array<{ ratePerSecond: number; newConversations: boolean; requests: SignedRequest[] }>;
	timeoutMs: number;
}

type ChildReport = { steps: ScreenStep[]; eventsPerMessagePerAgent: number } | { error: string };

const CHILD_FLAG = '--bench-screen-child';

/** Runs webhook-to-screen at each rate on a fresh stack. */
export async function measureWebhookToScreen(options: ScreenOptions = {}): Promise<ScreenResult> {
	const subscribers = options.subscribers ?? 50;
	const rates = options.rates ?? [10, 100];
	const seconds = options.seconds ?? 5;
	const newConversationRate = options.newConversationRate ?? 20;
	const bench = await startBenchStack(options.databaseServer, { sandbox: true });
	const { stack } = bench;
	const sandbox = bench.sandbox!;
	const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
		execArgv: ['--import', 'tsx'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc']
	});
	try {
		const functionsUrl = `${stack.url}/functions/v1`;
		sandbox.setWebhookBaseUrl(functionsUrl);
		const tenant = await prepareBenchTenant(stack, subscribers);
		const steps = [
			// A working day's state before the clock starts: each of the 200 customers has written
			// once (so the measured steps carry messages, not the opening of 200 conversations that
			// each tell fifty members), and the function's workers have booted under overlapping
			// requests. New conversations are measured apart, in the last step.
			{
				ratePerSecond: 100,
				newConversations: true,
				requests: signedTwilioRequests(functionsUrl, 200, 'warm')
			},
			...rates.map((rate, index) => ({
				ratePerSecond: rate,
				newConversations: false,
				requests: signedTwilioRequests(
					functionsUrl,
					Math.max(1, Math.round(rate * seconds)),
					`s${index}x`
				)
			})),
			// Customers writing for the first time: each message opens a conversation and tells
			// every member, as `newConversationRate` of them a second.
			{
				ratePerSecond: newConversationRate,
				newConversations: true,
				requests: signedTwilioRequests(
					functionsUrl,
					Math.max(1, Math.round(newConversationRate * seconds)),
					'new',
					1_000_000,
					1_000
				)
			}
		];
		const task: ChildTask = {
			url: stack.url,
			anonKey: stack.anonKey,
			topic: `tenant:${tenant.tenantId}`,
			tokens: tenant.agentTokens,
			steps,
			timeoutMs: options.timeoutMs ?? 15_000
		};
		const report = await new Promise<ChildReport>((resolve, reject) => {
			child.once('message', resolve);
			child.once('exit', (code) =>
				reject(new Error(`The subscriber process exited with code ${code}.`))
			);
			child.send(task);
		});
		if ('error' in report) throw new Error(report.error);
		const { rows } = await stack.db.query<{ count: number }>(
			`select count(*)::int as count from public.messages where tenant_id = $1`,
			[tenant.tenantId]
		);
		return {
			database: stack.db.kind,
			subscribers,
			steps: report.steps.slice(1),
			stored: rows[0].count,
			eventsPerMessagePerAgent: report.eventsPerMessagePerAgent
		};
	} finally {
		child.kill();
		await bench.close();
	}
}

const now = () => performance.timeOrigin + performance.now();

async function runChild(
	task: ChildTask
): Promise<{ steps: ScreenStep[]; eventsPerMessagePerAgent: number }> {
	const startedAt = new Map<string, number>();
	const seen = new Set<string>();
	let latencies: number[] = [];
	let events = 0;
	let onArrival = () => {};
	const clients = await Promise.all(
		task.tokens.map(async (token, index) => {
			const client = createClient(task.url, task.anonKey, {
				auth: { persistSession: false, autoRefreshToken: false },
				accessToken: async () => token,
				realtime: { transport: WebSocket as never }
			});
			await client.realtime.setAuth(token);
			const channel = client.channel(task.topic, { config: { private: true } });
			channel.on('broadcast', { event: '*' }, () => events++);
			channel.on(
				'broadcast',
				{ event: 'conversations' },
				(message: { payload: { record?: { last_message_preview?: string } } }) => {
					const at = now();
					const sid = message.payload.record?.last_message_preview?.replace(/^bench /, '');
					const started = sid ? startedAt.get(sid) : undefined;
					if (started === undefined || seen.has(`${index} ${sid}`)) return;
					seen.add(`${index} ${sid}`);
					latencies.push(at - started);
					onArrival();
				}
			);
			await new Promise<void>((resolve, reject) =>
				channel.subscribe((status, error) => {
					if (status === 'SUBSCRIBED') resolve();
					else if (status !== 'CLOSED')
						reject(error ?? new Error(`Socket ${index} could not join: ${status}.`));
				})
			);
			return client;
		})
	);

	const results: ScreenStep[] = [];
	let acceptedInAll = 0;
	for (const step of task.steps) {
		latencies = [];
		const expected = step.requests.length * task.tokens.length;
		const allArrived = new Promise<void>((resolve) => {
			onArrival = () => latencies.length >= expected && resolve();
		});
		const begin = performance.now();
		const answers = await Promise.all(
			step.requests.map(async (request, i) => {
				const wait = begin + (i * 1000) / step.ratePerSecond - performance.now();
				if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
				startedAt.set(request.sid, now());
				const response = await fetch(task.url + request.path, {
					method: 'POST',
					headers: request.headers,
					body: request.body
				});
				await response.arrayBuffer();
				return response.ok;
			})
		);
		await Promise.race([allArrived, new Promise((resolve) => setTimeout(resolve, task.timeoutMs))]);
		const sorted = [...latencies].sort((a, b) => a - b);
		const accepted = answers.filter(Boolean).length;
		const percentile = (p: number) =>
			sorted.length
				? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
				: NaN;
		results.push({
			ratePerSecond: step.ratePerSecond,
			newConversations: step.newConversations,
			sent: step.requests.length,
			accepted,
			delivered: sorted.length,
			expected,
			p50Ms: round(percentile(50)),
			p99Ms: round(percentile(99)),
			maxMs: round(sorted.at(-1) ?? NaN)
		});
		acceptedInAll += accepted;
	}
	const eventsPerMessagePerAgent =
		Math.round((events / Math.max(1, acceptedInAll * task.tokens.length)) * 100) / 100;
	await Promise.all(clients.map((client) => client.removeAllChannels()));
	return { steps: results, eventsPerMessagePerAgent };
}

function round(value: number): number {
	return Math.round(value * 10) / 10;
}

if (process.argv.includes(CHILD_FLAG)) {
	process.once('message', (task: ChildTask) => {
		runChild(task).then(
			(report) => process.send?.(report satisfies ChildReport),
			(error: Error) => process.send?.({ error: error.message } satisfies ChildReport)
		);
	});
	process.on('disconnect', () => process.exit(0));
}

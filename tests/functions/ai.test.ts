import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxFunctionSecrets, startSandbox, type Sandbox } from '../../sandbox/index.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	completionsMentioning,
	connectNumberWithAgent,
	conversationOf,
	customerWrites,
	messagesOf,
	sentTo,
	team,
	type Team
} from './ai-support.ts';
import { callFunction } from '../support/clients.ts';

// The AI agent end to end: customers write through the sandbox (signed Twilio webhooks), the
// agent answers through the sandbox's OpenAI-compatible API, replies go out through Twilio.

// The product's default: a burst's messages arrive one webhook apart, and on a busy machine one
// webhook can take most of a second, so a shorter debounce would answer a burst twice.
const debounceMs = 1500;
const instructions = 'You are Sofia from Parley Store. Answer kindly and briefly.';

let sandbox: Sandbox;
let stack: TestStack;
let teamA: Team;
let teamB: Team;
let phoneCount = 0;

/** A new customer phone for each test, so each test has its own conversation. */
const newPhone = () => `+1555030${String(++phoneCount).padStart(4, '0')}`;
const wait = { timeout: 20_000, interval: 50 };
/** Long enough for any reply that was going to be made to have been made. */
const quietPeriod = () => new Promise((resolve) => setTimeout(resolve, debounceMs * 3));

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0, settings: { statusDelayMs: 5, openAiHangMs: 10_000 } });
	stack = await startTestStack({
		functionSecrets: {
			...sandboxFunctionSecrets(sandbox),
			PARLEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
			PARLEY_AI_DEBOUNCE_MS: String(debounceMs),
			PARLEY_AI_TIMEOUT_MS: '1500'
		}
	});
	sandbox.setWebhookBaseUrl(`${stack.url}/functions/v1`);
	teamA = await team(stack, 'ai-a');
	teamB = await team(stack, 'ai-b');
	await connectNumberWithAgent(teamA, { name: 'Sofia', instructions, model: 'gpt-4.1-mini' });
}, 240_000);

afterAll(async () => {
	await stack?.close();
	await sandbox?.close();
});

describe('auto-replies', () => {
	it("sends the model's reply as sender ai, asked with the agent's instructions, the thread and the JSON schema", async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'Hi! I bought shoes last week.');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		await customerWrites(sandbox, phone, 'Do you have the blue ones in size 42?');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(2), wait);

		expect(sentTo(sandbox, phone)[1].body).toBe(
			'Sandbox reply to: Do you have the blue ones in size 42?'
		);
		const requests = completionsMentioning(sandbox, 'blue ones in size 42');
		expect(requests).toHaveLength(1);
		const [request] = requests;
		expect(request.model).toBe('gpt-4.1-mini');
		expect(request.messages[0].role).toBe('system');
		expect(request.messages[0].content).toContain(instructions);
		expect(request.messages[0].content).toContain('Ana Lima');
		expect(request.messages.slice(1)).toEqual([
			{ role: 'user', content: 'Hi! I bought shoes last week.' },
			{ role: 'assistant', content: 'Sandbox reply to: Hi! I bought shoes last week.' },
			{ role: 'user', content: 'Do you have the blue ones in size 42?' }
		]);
		expect(request.response_format?.type).toBe('json_schema');
		expect(request.response_format?.json_schema?.strict).toBe(true);
		expect(Object.keys(request.response_format?.json_schema?.schema.properties ?? {})).toEqual([
			'reply',
			'escalate',
			'reason'
		]);

		const conversation = await conversationOf(teamA.agent, phone);
		await vi.waitFor(async () => {
			const messages = await messagesOf(teamA.agent, conversation.id);
			expect(messages.map((m) => [m.sender, m.direction])).toEqual([
				['customer', 'inbound'],
				['ai', 'outbound'],
				['customer', 'inbound'],
				['ai', 'outbound']
			]);
			expect(messages[3].body).toBe('Sandbox reply to: Do you have the blue ones in size 42?');
			expect(['sent', 'delivered', 'read']).toContain(messages[3].status);
		}, wait);
	});

	it('answers a burst of five customer messages once, to the latest of them', async () => {
		const phone = newPhone();
		const texts = ['burst one', 'burst two', 'burst three', 'burst four', 'burst five'];
		for (const text of texts) await customerWrites(sandbox, phone, text);
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		await quietPeriod();

		expect(sentTo(sandbox, phone)).toHaveLength(1);
		expect(sentTo(sandbox, phone)[0].body).toBe('Sandbox reply to: burst five');
		const requests = completionsMentioning(sandbox, 'burst one');
		expect(requests).toHaveLength(1);
		expect(requests[0].messages.slice(1).map((m) => m.content)).toEqual(texts);
	});

	it('makes no AI request at all when AI is off for the conversation', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'first message before AI is turned off');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		const conversation = await conversationOf(teamA.agent, phone);
		const { error } = await teamA.agent
			.from('conversations')
			.update({ ai_active: false })
			.eq('id', conversation.id);
		expect(error).toBeNull();

		await customerWrites(sandbox, phone, 'second message, for a person');
		await quietPeriod();

		expect(completionsMentioning(sandbox, 'second message, for a person')).toHaveLength(0);
		expect(sentTo(sandbox, phone)).toHaveLength(1);
		const messages = await messagesOf(teamA.agent, conversation.id);
		expect(messages.at(-1)).toMatchObject({
			sender: 'customer',
			body: 'second message, for a person'
		});
	});
});

describe('the reply claim', () => {
	it('lets one worker hold a generation, refuses outdated ones, and hands back the newest on release', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'claim test');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		const conversation = await conversationOf(teamA.agent, phone);
		const sql = async (text: string, params: unknown[]) =>
			(await stack.db.query<{ value: unknown }>(`select ${text} as value`, params)).rows[0].value;
		// The worker that answered lets go of its claim right after sending.
		await vi.waitFor(async () => {
			expect(
				await sql(
					'(select j.claimed_at from private.ai_reply_jobs j where j.conversation_id = $1)',
					[conversation.id]
				)
			).toBeNull();
		}, wait);

		const generation = Number(await sql('public.ai_request_reply($1)', [conversation.id]));
		expect(await sql('public.ai_claim_reply($1, $2)', [conversation.id, generation - 1])).toBe(
			false
		);
		expect(await sql('public.ai_claim_reply($1, $2)', [conversation.id, generation])).toBe(true);
		expect(await sql('public.ai_claim_reply($1, $2)', [conversation.id, generation])).toBe(false);
		const newer = Number(await sql('public.ai_request_reply($1)', [conversation.id]));
		expect(newer).toBe(generation + 1);
		expect(
			Number(await sql('public.ai_release_reply($1, $2)', [conversation.id, generation]))
		).toBe(newer);
		expect(await sql('public.ai_claim_reply($1, $2)', [conversation.id, newer])).toBe(true);
		expect(Number(await sql('public.ai_release_reply($1, $2)', [conversation.id, newer]))).toBe(
			newer
		);
	});
});

describe('escalation', () => {
	it('a customer asking for a person gets a hand-over, AI turns off and the team is notified with the reason', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'This is not working, can I talk to a person?');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		expect(sentTo(sandbox, phone)[0].body).toBe(
			'I am connecting you with a member of our team now.'
		);

		const conversation = await conversationOf(teamA.agent, phone);
		expect(conversation.ai_active).toBe(false);
		for (const client of [teamA.owner, teamA.agent]) {
			await vi.waitFor(async () => {
				const { data } = await client
					.from('notifications')
					.select('kind, title, body')
					.eq('conversation_id', conversation.id)
					.eq('kind', 'escalation');
				expect(data).toEqual([
					{
						kind: 'escalation',
						title: 'Ana Lima needs a person',
						body: 'The customer asked to talk to a person.'
					}
				]);
			}, wait);
		}
		const messages = await messagesOf(teamA.agent, conversation.id);
		expect(messages.map((m) => m.sender)).toEqual(['customer', 'ai', 'system']);
		expect(messages[2].body).toBe(
			'AI replies are off for this conversation: The customer asked to talk to a person. A person should reply.'
		);

		await customerWrites(sandbox, phone, 'hello? anyone after the hand-over?');
		await quietPeriod();
		expect(completionsMentioning(sandbox, 'anyone after the hand-over')).toHaveLength(0);
		expect(sentTo(sandbox, phone)).toHaveLength(1);
	});

	it('one failed AI answer hands the conversation to people at once: AI off, the team told why, the customer told a person follows', async () => {
		const phone = newPhone();
		sandbox.setOpenAiFailure('server_error', 1);
		await customerWrites(sandbox, phone, 'outage one: where is my order?');
		const reason =
			'The AI agent could not answer: the AI provider answered with an error (HTTP 500).';

		for (const client of [teamA.owner, teamA.agent]) {
			await vi.waitFor(async () => {
				const conversation = await conversationOf(client, phone);
				const { data } = await client
					.from('notifications')
					.select('kind, title, body')
					.eq('conversation_id', conversation.id)
					.eq('kind', 'escalation');
				expect(data).toEqual([
					{ kind: 'escalation', title: 'Ana Lima needs a person', body: reason }
				]);
			}, wait);
		}
		const conversation = await conversationOf(teamA.agent, phone);
		expect(conversation.ai_active).toBe(false);
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		expect(sentTo(sandbox, phone)[0].body).toBe(
			'Thank you for your patience. A member of our team will continue here shortly.'
		);
		await vi.waitFor(async () => {
			const messages = await messagesOf(teamA.agent, conversation.id);
			expect(messages.map((m) => [m.sender, m.body])).toEqual([
				['customer', 'outage one: where is my order?'],
				['ai', 'Thank you for your patience. A member of our team will continue here shortly.'],
				['system', `AI replies are off for this conversation: ${reason} A person should reply.`]
			]);
		}, wait);

		// People have it now: the next customer message asks the AI nothing.
		await customerWrites(sandbox, phone, 'outage two: hello?');
		await quietPeriod();
		expect(completionsMentioning(sandbox, 'outage two')).toHaveLength(0);
		expect(sentTo(sandbox, phone)).toHaveLength(1);
	});

	it('each kind of AI failure is told to the team in its own words at the first failure', async () => {
		const cases = [
			['rate_limit', 'rate limited by the AI provider'],
			['timeout', 'the AI provider did not answer in time'],
			['invalid_output', 'the AI answer was not valid JSON']
		] as const;
		for (const [kind, words] of cases) {
			const phone = newPhone();
			sandbox.setOpenAiFailure(kind, 1);
			await customerWrites(sandbox, phone, `failure kind ${kind}`);
			await vi.waitFor(async () => {
				const conversation = await conversationOf(teamA.owner, phone);
				expect(conversation.ai_active).toBe(false);
				const { data } = await teamA.owner
					.from('notifications')
					.select('body')
					.eq('conversation_id', conversation.id)
					.eq('kind', 'escalation');
				expect(data).toEqual([{ body: `The AI agent could not answer: ${words}.` }]);
			}, wait);
		}
	});

	it('a good answer after a person turns AI back on is sent as usual', async () => {
		const phone = newPhone();
		sandbox.setOpenAiFailure('server_error', 1);
		await customerWrites(sandbox, phone, 'recover one');
		await vi.waitFor(async () => {
			expect((await conversationOf(teamA.agent, phone)).ai_active).toBe(false);
		}, wait);
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		const conversation = await conversationOf(teamA.agent, phone);
		const { error } = await teamA.agent
			.from('conversations')
			.update({ ai_active: true })
			.eq('id', conversation.id);
		expect(error).toBeNull();
		await customerWrites(sandbox, phone, 'recover two');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(2), wait);
		expect(sentTo(sandbox, phone)[1].body).toBe('Sandbox reply to: recover two');
		expect((await conversationOf(teamA.agent, phone)).ai_active).toBe(true);
	});
});

describe('generate-insights with AI', () => {
	it('stores and returns sentiment and summary, then summarises only newer messages with the previous summary', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'insights first: my parcel arrived broken');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		const conversation = await conversationOf(teamA.agent, phone);

		const first = await callFunction(teamA.agent, 'generate-insights', 'POST', {
			conversationId: conversation.id
		});
		expect(first.status, JSON.stringify(first.body)).toBe(200);
		expect(first.body).toMatchObject({
			conversationId: conversation.id,
			sentiment: 'negative',
			sentimentScore: -0.6,
			source: 'ai'
		});
		const firstSummary = first.body.summary as string;
		// What the customer wants, how they feel, what is still open.
		expect(firstSummary).toBe(
			[
				'Wants: The customer wrote 1 message, the last: "insights first: my parcel arrived broken".',
				'Feels: The customer sounds negative.',
				'Still open: Nothing: the last message was answered.'
			].join('\n')
		);
		const stored = await conversationOf(teamA.owner, phone);
		expect(stored).toMatchObject({
			sentiment: 'negative',
			sentiment_score: -0.6,
			summary: firstSummary,
			insights_source: 'ai'
		});
		expect(stored.insights_at).toBeTruthy();

		await customerWrites(sandbox, phone, 'insights second: thanks, the new one is great');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(2), wait);
		const second = await callFunction(teamA.agent, 'generate-insights', 'POST', {
			conversationId: conversation.id
		});
		expect(second.status).toBe(200);
		expect(second.body.source).toBe('ai');

		const insightRequests = sandbox
			.requests({ provider: 'openai', path: '/v1/chat/completions' })
			.map((request) => request.body as import('./ai-support.ts').ChatRequestBody)
			.filter(
				(body) =>
					body.response_format?.json_schema?.name === 'conversation_insights' &&
					JSON.stringify(body).includes('insights ')
			);
		expect(insightRequests).toHaveLength(2);
		const [, incremental] = insightRequests;
		expect(incremental.messages[0].content).toContain(firstSummary);
		// One transcript with speakers, not a row of separate "user" messages.
		expect(incremental.messages.slice(1)).toEqual([
			{
				role: 'user',
				content:
					'<transcript>\nCustomer: insights second: thanks, the new one is great\nAI agent: Sandbox reply to: insights second: thanks, the new one is great\n</transcript>'
			}
		]);
		expect(Object.keys(incremental.response_format?.json_schema?.schema.properties ?? {})).toEqual([
			'sentiment',
			'sentiment_score',
			'wants',
			'feels',
			'still_open'
		]);
		expect(second.body.summary).not.toBe(firstSummary);
		expect((await conversationOf(teamA.agent, phone)).summary).toBe(second.body.summary);
	});

	it('answers 404 to a member of another workspace', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'a private conversation');
		const conversation = await conversationOf(teamA.agent, phone);
		const answer = await callFunction(teamB.owner, 'generate-insights', 'POST', {
			conversationId: conversation.id
		});
		expect(answer).toEqual({
			status: 404,
			body: {
				code: 'not_found',
				message: 'There is no such conversation, or you cannot see it.'
			}
		});
		const untouched = await conversationOf(teamA.agent, phone);
		expect(untouched.insights_at).toBeNull();
	});

	it('says AI is configured on the status endpoint', async () => {
		expect(await callFunction(teamA.agent, 'generate-insights/status', 'GET')).toEqual({
			status: 200,
			body: { aiConfigured: true }
		});
	});
});

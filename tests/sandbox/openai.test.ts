import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { DEMO_CREDENTIALS, startSandbox, type Sandbox } from '../../sandbox/index.ts';

const AgentReply = z.object({
	reply: z.string().min(1),
	escalate: z.boolean(),
	sentiment: z.enum(['positive', 'neutral', 'negative']),
	confidence: z.number().min(0).max(1),
	tags: z.array(z.string()).min(2).max(3),
	handoff: z.object({ reason: z.string() }).nullable()
});

let sandbox: Sandbox;

function client(apiKey: string = DEMO_CREDENTIALS.openai.apiKey, timeout?: number) {
	return new OpenAI({ apiKey, baseURL: sandbox.urls.openai, maxRetries: 0, timeout });
}

function ask(text: string, openai = client()) {
	return openai.chat.completions.parse({
		model: DEMO_CREDENTIALS.openai.model,
		messages: [
			{ role: 'system', content: 'You answer customers of a shop.' },
			{ role: 'user', content: text }
		],
		response_format: zodResponseFormat(AgentReply, 'agent_reply')
	});
}

beforeAll(async () => {
	sandbox = await startSandbox({ settings: { openAiHangMs: 5_000 } });
});
afterAll(() => sandbox.close());
afterEach(() => sandbox.setOpenAiFailure(null));

describe('OpenAI-compatible chat completions', () => {
	it('answers a json_schema request with JSON the schema accepts, derived from the last user message', async () => {
		const completion = await ask('Do you ship to Monterrey? Thanks!');
		const parsed = completion.choices[0].message.parsed;
		expect(AgentReply.parse(parsed)).toMatchObject({
			reply: 'Sandbox reply to: Do you ship to Monterrey? Thanks!',
			escalate: false,
			sentiment: 'positive'
		});
		const sent = sandbox.requests({ provider: 'openai', path: '/v1/chat/completions' }).at(-1);
		expect(sent?.body).toMatchObject({
			response_format: { type: 'json_schema', json_schema: { name: 'agent_reply' } }
		});
	});

	it('sets escalate when the customer asks for a human', async () => {
		const completion = await ask('This is terrible, I want to talk to a human agent');
		expect(completion.choices[0].message.parsed).toMatchObject({
			escalate: true,
			sentiment: 'negative'
		});
	});

	it('gives the same answer to the same conversation', async () => {
		const first = await ask('Where is my order?');
		const second = await ask('Where is my order?');
		expect(first.choices[0].message.content).toBe(second.choices[0].message.content);
	});

	it('answers plain requests with text and lists models', async () => {
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages: [{ role: 'user', content: 'Hello' }]
		});
		expect(completion.choices[0].message.content).toBe('Sandbox reply to: Hello');
		const models = await client().models.list();
		expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');
	});

	it('calls a hand-off tool when the customer asks for a person', async () => {
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages: [{ role: 'user', content: 'Can I speak with a person please?' }],
			tools: [
				{
					type: 'function',
					function: {
						name: 'escalate_to_human',
						parameters: {
							type: 'object',
							properties: { reason: { type: 'string' } },
							required: ['reason']
						}
					}
				}
			]
		});
		const call = completion.choices[0].message.tool_calls?.[0];
		expect(call?.type === 'function' && call.function.name).toBe('escalate_to_human');
		expect(completion.choices[0].finish_reason).toBe('tool_calls');
	});

	it('refuses a wrong API key with 401 invalid_api_key', async () => {
		const error = await ask('Hi', client('sk-wrong-key')).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
		expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
	});
});

describe('OpenAI failure modes a test can switch on', () => {
	it('rate limits with 429 for as many requests as asked, then recovers', async () => {
		sandbox.setOpenAiFailure('rate_limit', 1);
		const error = await ask('Hi').catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OpenAI.RateLimitError);
		expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
		const recovered = await ask('Hi');
		expect(recovered.choices[0].message.parsed?.reply).toBe('Sandbox reply to: Hi');
	});

	it('hangs until the client gives up when timing out', async () => {
		sandbox.setOpenAiFailure('timeout');
		const error = await ask('Hi', client(undefined, 100)).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
	});

	it('returns output that does not parse when asked for invalid output', async () => {
		sandbox.setOpenAiFailure('invalid_output');
		const error = await ask('Hi').catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(Error);
		expect(String(error)).toMatch(/JSON/);
	});

	it('fails with 500 in server error mode', async () => {
		sandbox.setOpenAiFailure('server_error');
		const error = await ask('Hi').catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(OpenAI.InternalServerError);
	});
});

describe('grounded answers from passages', () => {
	const Grounded = z.object({
		answer: z.string(),
		passage_ids: z.array(z.string()),
		confidence: z.number().min(0).max(1),
		can_answer: z.boolean(),
		reason: z.string()
	});
	const passages = [
		'<passages>',
		'<passage id="P1" title="Returns">',
		'You can return shoes within 30 days. Refunds reach your card in 5 days.',
		'</passage>',
		'<passage id="P2" title="Shipping">',
		'We ship to Canada. Delivery to Canada takes 5 to 7 business days.',
		'</passage>',
		'</passages>'
	].join('\n');
	const askGrounded = async (question: string) => {
		const completion = await client().chat.completions.parse({
			model: DEMO_CREDENTIALS.openai.model,
			messages: [
				{ role: 'system', content: `Answer only from the passages.\n${passages}` },
				{ role: 'user', content: question }
			],
			response_format: zodResponseFormat(Grounded, 'grounded_answer')
		});
		return Grounded.parse(completion.choices[0].message.parsed);
	};

	it('quotes the sentence of the best-matching passage and cites that passage', async () => {
		expect(await askGrounded('How long is delivery to Canada?')).toEqual({
			answer: 'Delivery to Canada takes 5 to 7 business days.',
			passage_ids: ['P2'],
			confidence: 0.9,
			can_answer: true,
			reason: ''
		});
		expect((await askGrounded('When does my refund reach my card?')).passage_ids).toEqual(['P1']);
	});

	it('says it cannot answer when no passage matches the question', async () => {
		expect(await askGrounded('Do you sell gift cards?')).toEqual({
			answer: 'I cannot answer that from the passages I was given.',
			passage_ids: [],
			confidence: 0,
			can_answer: false,
			reason: 'None of the passages answers the question.'
		});
	});
});

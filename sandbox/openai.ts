/**
 * An OpenAI-compatible stand-in: `POST /v1/chat/completions` (plain, json_schema, tools, stream)
 * and `/v1/models`, with OpenAI's error shapes and a switchable failure mode for tests.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { SandboxCore } from './core.ts';
import { answerForSchema, asksForHuman, replyText, type Conversation } from './answers.ts';
import { bodyOf, parseBodies, type SandboxEnv } from './http.ts';

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-5-mini'];

const contentSchema = z.union([
	z.string(),
	z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()),
	z.null()
]);

const chatSchema = z.object({
	model: z.string().min(1),
	messages: z
		.array(
			z
				.object({
					role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
					content: contentSchema.optional()
				})
				.loose()
		)
		.min(1),
	response_format: z
		.union([
			z.object({ type: z.literal('text') }),
			z.object({ type: z.literal('json_object') }),
			z.object({
				type: z.literal('json_schema'),
				json_schema: z.object({
					name: z.string(),
					schema: z.record(z.string(), z.unknown()).optional(),
					strict: z.boolean().nullish()
				})
			})
		])
		.optional(),
	tools: z
		.array(
			z.object({
				type: z.literal('function'),
				function: z
					.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() })
					.loose()
			})
		)
		.optional(),
	tool_choice: z
		.union([
			z.enum(['none', 'auto', 'required']),
			z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })
		])
		.optional(),
	stream: z.boolean().nullish()
});

type ChatRequest = z.infer<typeof chatSchema>;

function openAiError(
	c: Context,
	status: 400 | 401 | 404 | 429 | 500 | 504,
	error: { message: string; type: string; code: string | null; param?: string | null }
) {
	return c.json({ error: { param: null, ...error } }, status);
}

function textOf(content: z.infer<typeof contentSchema> | undefined): string {
	if (typeof content === 'string') return content;
	return (content ?? []).map((part) => part.text ?? '').join('');
}

function conversationOf(request: ChatRequest): Conversation {
	const userTexts = request.messages
		.filter((message) => message.role === 'user')
		.map((message) => textOf(message.content));
	return { userTexts, lastUserText: userTexts.at(-1) ?? '' };
}

function tokens(text: string): number {
	return Math.max(1, Math.ceil(text.length / 4));
}

/** Mounts the OpenAI-compatible stand-in. */
export function openAiRoutes(core: SandboxCore): Hono<SandboxEnv> {
	const app = new Hono<SandboxEnv>();
	const { state } = core;

	app.use('*', parseBodies());
	app.use('*', async (c, next) => {
		const header = c.req.header('authorization');
		const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
		if (!key) {
			return openAiError(c, 401, {
				message:
					"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
				type: 'invalid_request_error',
				code: null
			});
		}
		if (!state.openai.apiKeys.has(key)) {
			return openAiError(c, 401, {
				message: `Incorrect API key provided: ${key.slice(0, 3)}*****${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
				type: 'invalid_request_error',
				code: 'invalid_api_key'
			});
		}
		await next();
	});

	const modelJson = (id: string) => ({
		id,
		object: 'model',
		created: 1_700_000_000,
		owned_by: 'parley-sandbox'
	});
	app.get('/v1/models', (c) => c.json({ object: 'list', data: MODELS.map(modelJson) }));
	app.get('/v1/models/:id', (c) =>
		MODELS.includes(c.req.param('id'))
			? c.json(modelJson(c.req.param('id')))
			: openAiError(c, 404, {
					message: `The model '${c.req.param('id')}' does not exist or you do not have access to it.`,
					type: 'invalid_request_error',
					code: 'model_not_found'
				})
	);

	app.post('/v1/chat/completions', async (c) => {
		const parsed = bodyOf(c.get('body'), chatSchema);
		if (!parsed.ok) {
			return openAiError(c, 400, {
				message: `Invalid request: ${parsed.issues}`,
				type: 'invalid_request_error',
				code: null
			});
		}
		const request = parsed.value;

		const failure = state.openai.failure;
		if (failure) {
			if (failure.remaining !== null && --failure.remaining <= 0) state.openai.failure = undefined;
			if (failure.kind === 'rate_limit') {
				c.header('retry-after', '1');
				c.header('x-ratelimit-remaining-requests', '0');
				return openAiError(c, 429, {
					message: `Rate limit reached for ${request.model} in organization org-sandbox on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.`,
					type: 'requests',
					code: 'rate_limit_exceeded'
				});
			}
			if (failure.kind === 'server_error') {
				return openAiError(c, 500, {
					message: 'The server had an error while processing your request. Sorry about that!',
					type: 'server_error',
					code: null
				});
			}
			if (failure.kind === 'timeout') {
				await hang(c.req.raw.signal, core.closedSignal, state.settings.openAiHangMs);
				return openAiError(c, 504, {
					message: 'The request timed out.',
					type: 'timeout',
					code: null
				});
			}
		}

		const conversation = conversationOf(request);
		const message = assistantMessage(request, conversation, failure?.kind === 'invalid_output');
		const id = 'chatcmpl-' + randomBytes(12).toString('hex');
		const created = Math.floor(core.now() / 1000);
		const promptTokens = tokens(request.messages.map((m) => textOf(m.content)).join(' '));
		const completionTokens = tokens(message.content ?? JSON.stringify(message.tool_calls));
		const finishReason = message.tool_calls ? 'tool_calls' : 'stop';

		if (request.stream) {
			return streamSSE(c, async (stream) => {
				const chunk = (delta: object, finish: string | null) =>
					JSON.stringify({
						id,
						object: 'chat.completion.chunk',
						created,
						model: request.model,
						system_fingerprint: 'fp_sandbox',
						choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
					});
				await stream.writeSSE({ data: chunk({ role: 'assistant', content: '' }, null) });
				if (message.content)
					await stream.writeSSE({ data: chunk({ content: message.content }, null) });
				if (message.tool_calls) {
					await stream.writeSSE({
						data: chunk(
							{ tool_calls: message.tool_calls.map((call, index) => ({ index, ...call })) },
							null
						)
					});
				}
				await stream.writeSSE({ data: chunk({}, finishReason) });
				await stream.writeSSE({ data: '[DONE]' });
			});
		}

		return c.json({
			id,
			object: 'chat.completion',
			created,
			model: request.model,
			system_fingerprint: 'fp_sandbox',
			choices: [
				{
					index: 0,
					message: { ...message, refusal: null, annotations: [] },
					logprobs: null,
					finish_reason: finishReason
				}
			],
			usage: {
				prompt_tokens: promptTokens,
				completion_tokens: completionTokens,
				total_tokens: promptTokens + completionTokens
			}
		});
	});

	app.all('*', (c) =>
		openAiError(c, 404, {
			message: `Invalid URL (${c.req.method} ${c.req.path})`,
			type: 'invalid_request_error',
			code: null
		})
	);
	return app;
}

interface AssistantMessage {
	role: 'assistant';
	content: string | null;
	tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
}

function assistantMessage(
	request: ChatRequest,
	conversation: Conversation,
	invalid: boolean
): AssistantMessage {
	const lastRole = request.messages.at(-1)?.role;
	const tools = request.tools ?? [];
	const choice = request.tool_choice;
	if (tools.length && choice !== 'none' && lastRole === 'user') {
		const forced =
			typeof choice === 'object'
				? tools.find((tool) => tool.function.name === choice.function.name)
				: undefined;
		const handoff = tools.find((tool) =>
			/escalat|handoff|hand_off|human|transfer/i.test(tool.function.name)
		);
		const tool =
			forced ??
			(handoff && asksForHuman(conversation.lastUserText) ? handoff : undefined) ??
			(choice === 'required' ? tools[0] : undefined);
		if (tool) {
			const args = invalid
				? '{"broken": '
				: JSON.stringify(
						answerForSchema(tool.function.parameters ?? { type: 'object' }, conversation)
					);
			return {
				role: 'assistant',
				content: null,
				tool_calls: [
					{
						id: 'call_' + randomBytes(8).toString('hex'),
						type: 'function',
						function: { name: tool.function.name, arguments: args }
					}
				]
			};
		}
	}
	const format = request.response_format;
	if (invalid) {
		return {
			role: 'assistant',
			content: format && format.type !== 'text' ? '{"reply": "unterminated' : ''
		};
	}
	if (format?.type === 'json_schema') {
		return {
			role: 'assistant',
			content: JSON.stringify(answerForSchema(format.json_schema.schema ?? {}, conversation))
		};
	}
	if (format?.type === 'json_object') {
		return {
			role: 'assistant',
			content: JSON.stringify({
				reply: replyText(conversation),
				escalate: asksForHuman(conversation.lastUserText)
			})
		};
	}
	return { role: 'assistant', content: replyText(conversation) };
}

function hang(request: AbortSignal, closed: AbortSignal, ms: number): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			resolve();
		};
		const timer = setTimeout(done, ms);
		request.addEventListener('abort', done, { once: true });
		closed.addEventListener('abort', done, { once: true });
	});
}

/**
 * An OpenAI-compatible stand-in: `POST /v1/chat/completions` (plain, json_schema, tools, stream)
 * and `/v1/models`, with OpenAI's error shapes and a switchable failure mode for tests. Grounded
 * answers quote the passage they were given that best matches the question and cite it, or say
 * they cannot answer; rewrites and transcript insights are as deterministic.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { SandboxCore } from './core.ts';
import {
	answerForSchema,
	asksForHuman,
	replyText,
	sentimentOf,
	type Conversation
} from './answers.ts';
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
		.flatMap((message) => customerLinesOf(textOf(message.content)));
	return { userTexts, lastUserText: userTexts.at(-1) ?? '' };
}

/** A transcript (one message with "Customer:" lines) yields the customer's lines; else the text. */
function customerLinesOf(text: string): string[] {
	const transcript = /<transcript>\n([\s\S]*?)\n<\/transcript>/.exec(text);
	if (!transcript) return [text];
	return transcript[1]
		.split('\n')
		.filter((line) => line.startsWith('Customer: '))
		.map((line) => line.slice('Customer: '.length));
}

interface OfferedPassage {
	id: string;
	title: string;
	body: string;
}

const STOPWORDS = new Set(
	(
		'the and are for you your our can with what when where how does did have has was were will ' +
		'would could should this that there their them they from into about any some much many long ' +
		'take please thanks hello que los las una por para con del'
	).split(' ')
);

/** The words of a text worth matching: lowercase, three letters or more, not stopwords. */
const contentWords = (text: string) =>
	[...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].filter(
		(word) => word.length >= 3 && !STOPWORDS.has(word)
	);

/** Whether a passage's text has the word, or a word sharing its first five letters (a crude stem). */
const hasWord = (text: string, word: string) =>
	new RegExp(`(^|[^\\p{L}\\p{N}])${word.slice(0, 5)}`, 'iu').test(text);

/**
 * A grounded answer, deterministically: the sentence of the best-matching passage that shares the
 * most words with the question, citing that passage; "cannot answer" when no passage shares at
 * least half of the question's words.
 */
function groundedAnswer(request: ChatRequest): Record<string, unknown> {
	const system = request.messages
		.filter((message) => message.role === 'system' || message.role === 'developer')
		.map((message) => textOf(message.content))
		.join('\n');
	const passages: OfferedPassage[] = [
		...system.matchAll(/<passage id="([^"]+)" title="([^"]*)">\n([\s\S]*?)\n<\/passage>/g)
	].map(([, id, title, body]) => ({ id, title, body }));
	const asked: string[] = [];
	for (const message of [...request.messages].reverse()) {
		if (message.role === 'system' || message.role === 'developer') continue;
		if (message.role !== 'user') break;
		asked.unshift(textOf(message.content));
	}
	const words = contentWords(asked.join(' '));
	const scored = passages
		.map((passage) => ({
			passage,
			matched: words.filter((word) => hasWord(`${passage.title} ${passage.body}`, word)).length
		}))
		.sort((a, b) => b.matched - a.matched);
	const best = scored[0];
	if (!best || words.length === 0 || best.matched * 2 < words.length) {
		return {
			answer: 'I cannot answer that from the passages I was given.',
			passage_ids: [],
			confidence: 0,
			can_answer: false,
			reason: passages.length
				? 'None of the passages answers the question.'
				: 'No passages were given.'
		};
	}
	const sentences = best.passage.body
		.split(/(?<=[.!?])\s+|\n+/)
		.map((sentence) => sentence.trim())
		.filter(Boolean);
	const quote = sentences
		.map((sentence, index) => ({
			sentence,
			index,
			matched: words.filter((word) => hasWord(sentence, word)).length
		}))
		.sort((a, b) => b.matched - a.matched || a.index - b.index)[0].sentence;
	return {
		answer: quote,
		passage_ids: [best.passage.id],
		confidence: 0.9,
		can_answer: true,
		reason: ''
	};
}

/** A rewrite of the draft in the asked style, deterministically. */
function rewrittenDraft(request: ChatRequest): Record<string, unknown> {
	const all = request.messages.map((message) => textOf(message.content)).join('\n');
	const draft = /<draft>\n([\s\S]*?)\n<\/draft>/.exec(all)?.[1] ?? '';
	const customer = /<customer_messages>\n([\s\S]*?)\n<\/customer_messages>/.exec(all)?.[1] ?? '';
	const style = /Style: (shorter|friendlier|translate)\./.exec(all)?.[1];
	if (style === 'shorter') return { text: draft.split(/(?<=[.!?])\s+/)[0] ?? draft };
	if (style === 'friendlier') return { text: `Hi! ${draft} Have a lovely day! 😊` };
	const spanish = /[ñáéíóú¿¡]|\b(hola|gracias|tienen|quiero|cu[aá]nto|env[ií]o)\b/i.test(customer);
	return { text: spanish ? `[es] ${draft}` : draft };
}

/** Insights of a transcript: what the customer wants, how they feel, what is still open. */
function transcriptInsights(request: ChatRequest, conversation: Conversation) {
	const all = request.messages.map((message) => textOf(message.content)).join('\n');
	const lines = /<transcript>\n([\s\S]*?)\n<\/transcript>/.exec(all)?.[1].split('\n') ?? [];
	const sentiment = sentimentOf(conversation.userTexts);
	const last = conversation.lastUserText || 'nothing yet';
	return {
		sentiment,
		sentiment_score: sentiment === 'positive' ? 0.8 : sentiment === 'negative' ? -0.6 : 0,
		wants: `The customer wrote ${conversation.userTexts.length} message${conversation.userTexts.length === 1 ? '' : 's'}, the last: "${last}".`,
		feels: `The customer sounds ${sentiment}.`,
		still_open: lines.at(-1)?.startsWith('Customer: ')
			? `"${last}" has no answer yet.`
			: 'Nothing: the last message was answered.'
	};
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
		const name = format.json_schema.name;
		if (name === 'grounded_answer')
			return { role: 'assistant', content: JSON.stringify(groundedAnswer(request)) };
		if (name === 'draft_rewrite')
			return { role: 'assistant', content: JSON.stringify(rewrittenDraft(request)) };
		if (name === 'conversation_insights' && /<transcript>/.test(JSON.stringify(request.messages)))
			return {
				role: 'assistant',
				content: JSON.stringify(transcriptInsights(request, conversation))
			};
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

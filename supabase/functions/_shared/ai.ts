/**
 * The AI agent's model calls: configuration from function secrets, the OpenAI client (any
 * OpenAI-compatible endpoint), the structured outputs validated with zod, the thread bounded by
 * tokens, and AI failures in words.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';

export {
	estimateTokens,
	boundThread,
	threadMessageOf,
	replySystemPrompt,
	customerAsksForPerson,
	type ThreadMessage
} from './ai-text.ts';
import { knowledgeConfig, type KnowledgeConfig } from './knowledge-text.ts';

/** Settings of the AI agent, from function secrets. */
export interface AiConfig {
	/** OPENAI_API_KEY; without it auto-replies are off and insights are computed offline. */
	apiKey: string | undefined;
	/** OPENAI_BASE_URL: any OpenAI-compatible endpoint; default OpenAI's. */
	baseUrl: string | undefined;
	/** PARLEY_AI_DEBOUNCE_MS: how long the customer must be quiet before the agent answers. */
	debounceMs: number;
	/** PARLEY_AI_TIMEOUT_MS: how long one model call may take. */
	timeoutMs: number;
	/** PARLEY_AI_CONTEXT_TOKENS: the budget for the thread sent with each request. */
	contextTokens: number;
	/** PARLEY_AI_INSIGHTS_MODEL: the model that writes insights; default gpt-4o-mini. */
	insightsModel: string;
	/** How answers are drawn from the agent's knowledge. */
	knowledge: KnowledgeConfig;
}

const numberOr = (value: string | undefined, fallback: number) => {
	const parsed = Number(value);
	return value !== undefined && value !== '' && Number.isFinite(parsed) && parsed >= 0
		? parsed
		: fallback;
};

/** Reads the AI settings from an environment object (`Deno.env.toObject()`). */
export function aiConfig(env: Record<string, string | undefined>): AiConfig {
	return {
		apiKey: env.OPENAI_API_KEY?.trim() || undefined,
		baseUrl: env.OPENAI_BASE_URL?.trim() || undefined,
		debounceMs: numberOr(env.PARLEY_AI_DEBOUNCE_MS, 1500),
		timeoutMs: numberOr(env.PARLEY_AI_TIMEOUT_MS, 30_000),
		contextTokens: numberOr(env.PARLEY_AI_CONTEXT_TOKENS, 6000),
		insightsModel: env.PARLEY_AI_INSIGHTS_MODEL?.trim() || 'gpt-4o-mini',
		knowledge: knowledgeConfig(env)
	};
}

/** A client for the configured endpoint, or undefined when no key is set. */
export function aiClient(config: AiConfig): OpenAI | undefined {
	if (!config.apiKey) return undefined;
	return new OpenAI({
		apiKey: config.apiKey,
		baseURL: config.baseUrl,
		timeout: config.timeoutMs,
		// Failures are counted per customer message and escalate after three; the SDK's own
		// retries would hide them and keep the customer waiting.
		maxRetries: 0
	});
}

/** What the model answers to a customer. */
export const replySchema = z.object({
	reply: z.string().describe('The message to send to the customer on WhatsApp.'),
	escalate: z
		.boolean()
		.describe(
			'True when a person should take over: the customer asks for one, or you cannot help.'
		),
	reason: z.string().describe('Why you escalate, in one sentence for the team; empty otherwise.')
});
export type AiReply = z.infer<typeof replySchema>;

/** The response_format of a reply request: json_schema, strict. */
export const replyResponseFormat = zodResponseFormat(replySchema, 'whatsapp_reply');

/** What the model answers when asked for insights. */
export const insightsSchema = z.object({
	sentiment: z.enum(['positive', 'neutral', 'negative']),
	sentiment_score: z
		.number()
		.min(-1)
		.max(1)
		.describe('From -1 (very negative) to 1 (very positive).'),
	wants: z.string().describe('What the customer wants, in one or two sentences.'),
	feels: z.string().describe('How the customer feels, in one sentence.'),
	still_open: z
		.string()
		.describe(
			'What is still open or unanswered, in one or two sentences; "Nothing." if all is done.'
		)
});
/** Insights as stored: the sentiment and a summary that says what is wanted, felt and open. */
export interface AiInsights {
	sentiment: 'positive' | 'neutral' | 'negative';
	sentiment_score: number;
	summary: string;
}

/** The stored summary of the model's insights: wants, feels, still open. */
export function insightsSummary(output: z.infer<typeof insightsSchema>): string {
	const sentence = (text: string) => {
		const trimmed = text.trim();
		return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
	};
	return [
		`Wants: ${sentence(output.wants)}`,
		`Feels: ${sentence(output.feels)}`,
		`Still open: ${sentence(output.still_open)}`
	].join('\n');
}

/** The response_format of an insights request. */
export const insightsResponseFormat = zodResponseFormat(insightsSchema, 'conversation_insights');

/** An AI call that failed, with what happened in words. */
export class AiFailure extends Error {
	constructor(
		readonly kind: 'rate_limited' | 'timeout' | 'invalid_output' | 'provider_error' | 'unreachable',
		readonly detail: string
	) {
		super(detail);
	}
}

/** Turns whatever the SDK threw (or a bad answer) into an AiFailure. */
export function aiFailureOf(error: unknown): AiFailure {
	if (error instanceof AiFailure) return error;
	if (error instanceof OpenAI.APIConnectionTimeoutError) {
		return new AiFailure('timeout', 'the AI provider did not answer in time');
	}
	if (error instanceof OpenAI.RateLimitError) {
		return new AiFailure('rate_limited', 'rate limited by the AI provider');
	}
	if (error instanceof OpenAI.AuthenticationError) {
		return new AiFailure('provider_error', 'the AI provider rejected the API key');
	}
	if (error instanceof OpenAI.APIConnectionError) {
		return new AiFailure('unreachable', 'the AI provider could not be reached');
	}
	if (error instanceof OpenAI.APIError) {
		return new AiFailure(
			'provider_error',
			`the AI provider answered with an error${error.status ? ` (HTTP ${error.status})` : ''}`
		);
	}
	return new AiFailure('provider_error', 'the AI call failed unexpectedly');
}

/** Parses a structured answer; an answer that is not valid JSON of the schema is invalid output. */
export function parseStructured<T>(schema: z.ZodType<T>, content: string | null | undefined): T {
	let value: unknown;
	try {
		value = JSON.parse(content ?? '');
	} catch {
		throw new AiFailure('invalid_output', 'the AI answer was not valid JSON');
	}
	const parsed = schema.safeParse(value);
	if (!parsed.success) {
		throw new AiFailure('invalid_output', 'the AI answer did not have the expected fields');
	}
	return parsed.data;
}

/** Asks the model for a structured answer and validates it. */
export async function completeStructured<T>(
	client: OpenAI,
	request: {
		model: string;
		messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
		responseFormat: ReturnType<typeof zodResponseFormat>;
		schema: z.ZodType<T>;
	}
): Promise<T> {
	let content: string | null | undefined;
	try {
		const completion = await client.chat.completions.create({
			model: request.model,
			messages: request.messages,
			response_format: request.responseFormat
		});
		content = completion.choices[0]?.message?.content;
	} catch (error) {
		throw aiFailureOf(error);
	}
	return parseStructured(request.schema, content);
}

/**
 * Conversation insights for any member (user JWT, RLS decides access):
 *   GET  generate-insights/status   → { aiConfigured }  (the agents page says why AI replies are off)
 *   POST generate-insights          { conversationId } → { conversationId, sentiment, sentimentScore,
 *                                     summary, source: 'ai' | 'offline', insightsAt, notice? }
 * With an AI key the model reads the previous summary and only the messages after the last one it
 * summarised; without one (or when the AI fails) sentiment comes from the AFINN lexicon and the
 * summary is extractive, labelled `offline`. Stored on the conversation, whose trigger broadcasts it.
 */
import { z } from 'zod';
import Sentiment from 'sentiment';
import {
	HttpError,
	jsonResponse,
	methodNotAllowed,
	parseWith,
	readJson,
	routeSegments,
	withCors,
	type Handler
} from './http.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { databaseFailure } from './database-errors.ts';
import { requireCaller, type Caller } from './callers.ts';
import { serviceClient } from './clients.ts';
import type { Row } from './database.ts';
import {
	aiClient,
	AiFailure,
	boundThread,
	completeStructured,
	insightsResponseFormat,
	insightsSchema,
	insightsSummary,
	type AiConfig,
	type AiInsights
} from './ai.ts';
import { extractiveSummary, sentimentOfScore } from './ai-text.ts';

const bodySchema = z.object({
	conversationId: z.guid('That is not a valid conversation id.')
});

type ConversationInsightsRow = Pick<
	Row<'conversations'>,
	| 'id'
	| 'summary'
	| 'sentiment'
	| 'sentiment_score'
	| 'insights_source'
	| 'insights_message_id'
	| 'insights_at'
>;

type MessageRow = Pick<Row<'messages'>, 'id' | 'sender' | 'type' | 'body' | 'media' | 'created_at'>;

const speakers: Record<MessageRow['sender'], string> = {
	customer: 'Customer',
	agent: 'Team member',
	ai: 'AI agent',
	system: 'Note'
};

const textOf = (message: MessageRow) =>
	message.body?.trim() ||
	message.media?.caption?.trim() ||
	(message.type === 'text' ? '' : `[${message.type}]`);

/** Messages of the conversation after `afterId` (all when absent), oldest first, via RLS. */
async function messagesAfter(
	caller: Caller,
	conversationId: string,
	afterId: string | null
): Promise<MessageRow[]> {
	let after: string | undefined;
	if (afterId) {
		const anchor = await caller.client
			.from('messages')
			.select('created_at')
			.eq('id', afterId)
			.maybeSingle();
		if (anchor.error) throw databaseFailure(anchor.error);
		after = anchor.data?.created_at;
	}
	let query = caller.client
		.from('messages')
		.select('id, sender, type, body, media, created_at')
		.eq('conversation_id', conversationId)
		.neq('sender', 'system');
	if (after) query = query.gt('created_at', after);
	const { data, error } = await query
		.order('created_at', { ascending: false })
		.order('id', { ascending: false })
		.limit(500);
	if (error) throw databaseFailure(error);
	return (data ?? []).reverse();
}

/** Sentiment (AFINN, via the `sentiment` package) of what the customer wrote, and an extractive summary. */
export function offlineInsights(messages: MessageRow[]): AiInsights {
	const customerText = messages
		.filter((message) => message.sender === 'customer')
		.map(textOf)
		.join('\n');
	const { sentiment, score } = sentimentOfScore(new Sentiment().analyze(customerText).comparative);
	return {
		sentiment,
		sentiment_score: score,
		summary: extractiveSummary(messages.map(textOf).filter(Boolean))
	};
}

async function generate(
	config: ProviderFunctionConfig,
	ai: AiConfig,
	caller: Caller,
	conversationId: string
): Promise<Response> {
	const { data, error } = await caller.client
		.from('conversations')
		.select(
			'id, summary, sentiment, sentiment_score, insights_source, insights_message_id, insights_at'
		)
		.eq('id', conversationId)
		.maybeSingle();
	if (error) throw databaseFailure(error);
	if (!data)
		throw new HttpError(404, 'not_found', 'There is no such conversation, or you cannot see it.');
	const conversation: ConversationInsightsRow = data;
	const client = aiClient(ai);

	let insights: AiInsights | undefined;
	let source: 'ai' | 'offline' = 'offline';
	let notice: string | undefined;
	let lastMessageId: string | null = null;

	if (client) {
		// Incremental only on top of an AI summary: an offline one is not worth building on.
		const incremental = conversation.insights_source === 'ai' && conversation.summary;
		const fresh = await messagesAfter(
			caller,
			conversationId,
			incremental ? conversation.insights_message_id : null
		);
		if (incremental && fresh.length === 0) {
			return jsonResponse(responseOf(conversation));
		}
		// One transcript with speakers, so the model reads who said what rather than a row of
		// customer messages.
		const lines = boundThread(
			fresh
				.map((message) => ({
					role: 'user' as const,
					content: `${speakers[message.sender]}: ${textOf(message).replace(/\s*\n\s*/g, ' ')}`
				}))
				.filter((message) => message.content.length > 0),
			ai.contextTokens
		);
		const transcript = `<transcript>\n${lines.map((line) => line.content).join('\n')}\n</transcript>`;
		const system = [
			'You analyse a WhatsApp conversation between a business and a customer for the business team.',
			'The transcript names each speaker: the Customer, a Team member (a person of the business) or the AI agent.',
			"Give the customer's sentiment (label and a score from -1 to 1), what the customer wants, how they feel, and what is still open.",
			incremental
				? `What was known of the conversation so far:\n${conversation.summary}\nThe transcript below came after it: update the insights with it.`
				: 'The transcript is the whole conversation, oldest first.'
		].join('\n');
		try {
			const output = await completeStructured(client, {
				model: ai.insightsModel,
				messages: [
					{ role: 'system', content: system },
					{ role: 'user', content: transcript }
				],
				responseFormat: insightsResponseFormat,
				schema: insightsSchema
			});
			insights = {
				sentiment: output.sentiment,
				sentiment_score: output.sentiment_score,
				summary: insightsSummary(output)
			};
			source = 'ai';
			lastMessageId = fresh.at(-1)?.id ?? conversation.insights_message_id;
		} catch (failure) {
			if (!(failure instanceof AiFailure)) throw failure;
			notice = `The AI could not analyse this conversation (${failure.detail}), so this is an offline analysis.`;
		}
	}
	if (!insights) {
		const all = await messagesAfter(caller, conversationId, null);
		insights = offlineInsights(all);
		lastMessageId = all.at(-1)?.id ?? null;
	}

	const stored = await serviceClient(config).rpc('store_conversation_insights', {
		conversation_id: conversationId,
		sentiment: insights.sentiment,
		sentiment_score: insights.sentiment_score,
		summary: insights.summary,
		source,
		message_id: lastMessageId
	});
	if (stored.error) throw databaseFailure(stored.error);
	return jsonResponse({
		...responseOf(stored.data),
		...(notice ? { notice } : {})
	});
}

function responseOf(row: ConversationInsightsRow) {
	return {
		conversationId: row.id,
		sentiment: row.sentiment,
		sentimentScore: row.sentiment_score,
		summary: row.summary,
		source: row.insights_source,
		insightsAt: row.insights_at
	};
}

/** The generate-insights function. */
export function createGenerateInsightsHandler(
	config: ProviderFunctionConfig,
	ai: AiConfig
): Handler {
	return withCors(async (request) => {
		const [route] = routeSegments(request, 'generate-insights');
		if (route === 'status') {
			if (request.method !== 'GET') throw methodNotAllowed(request);
			return jsonResponse({ aiConfigured: Boolean(ai.apiKey) });
		}
		if (route !== undefined) throw new HttpError(404, 'not_found', 'There is no such route.');
		if (request.method !== 'POST') throw methodNotAllowed(request);
		const caller = requireCaller(request, config);
		const { conversationId } = parseWith(bodySchema, await readJson(request));
		return generate(config, ai, caller, conversationId);
	});
}

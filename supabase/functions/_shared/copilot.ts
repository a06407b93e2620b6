/**
 * The copilot for people answering customers (their JWT; RLS decides which conversations):
 *   POST copilot/suggest  { conversationId } → { text, citations, source: 'ai' | 'knowledge', notice? }
 *        a reply drafted from the number's AI agent's knowledge and the thread, for the composer;
 *        never sent by itself. Without an AI key the best passage is the draft.
 *   POST copilot/rewrite  { conversationId, text, style: shorter | friendlier | translate } → { text }
 */
import { z } from 'zod';
import { zodResponseFormat } from 'openai/helpers/zod';
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
import {
	aiClient,
	AiFailure,
	boundThread,
	completeStructured,
	replyResponseFormat,
	replySchema,
	replySystemPrompt,
	threadMessageOf,
	type AiConfig,
	type ThreadMessage
} from './ai.ts';
import {
	answerFromPassages,
	citationOf,
	openQuestion,
	retrievePassages,
	rewritePrompt,
	type Citation
} from './knowledge.ts';

const conversationIdSchema = z.guid('That is not a valid conversation id.');
const suggestSchema = z.object({ conversationId: conversationIdSchema });
const rewriteSchema = z.object({
	conversationId: conversationIdSchema,
	text: z
		.string()
		.trim()
		.min(1, 'Write a draft first; the copilot rewrites what you wrote.')
		.max(4096, 'A WhatsApp message can be at most 4,096 characters long.'),
	style: z.enum(['shorter', 'friendlier', 'translate'], {
		error: 'Choose shorter, friendlier or translate.'
	})
});

const rewriteOutput = z.object({ text: z.string().describe('The rewritten reply.') });
const rewriteResponseFormat = zodResponseFormat(rewriteOutput, 'draft_rewrite');

/** A suggested reply for the composer. */
export interface Suggestion {
	text: string;
	citations: Citation[];
	source: 'ai' | 'knowledge';
	notice?: string;
}

interface ConversationContext {
	agent: { id: string; instructions: string; model: string } | null;
	contactName: string | null;
	thread: ThreadMessage[];
}

/** The conversation as the caller may see it: its number's agent, the contact and the thread. */
async function conversationContext(
	caller: Caller,
	conversationId: string,
	budget: number
): Promise<ConversationContext> {
	const { data: conversation, error } = await caller.client
		.from('conversations')
		.select('id, number_id, contact_id')
		.eq('id', conversationId)
		.maybeSingle();
	if (error) throw databaseFailure(error);
	if (!conversation) {
		throw new HttpError(404, 'not_found', 'There is no such conversation, or you cannot see it.');
	}
	const [number, contact, messages] = await Promise.all([
		caller.client
			.from('whatsapp_numbers')
			.select('assigned_agent_id')
			.eq('id', conversation.number_id)
			.maybeSingle(),
		caller.client
			.from('contacts')
			.select('profile_name')
			.eq('id', conversation.contact_id)
			.maybeSingle(),
		caller.client
			.from('messages')
			.select('sender, type, body, media, created_at')
			.eq('conversation_id', conversationId)
			.order('created_at', { ascending: false })
			.order('id', { ascending: false })
			.limit(100)
	]);
	for (const result of [number, contact, messages])
		if (result.error) throw databaseFailure(result.error);
	let agent: ConversationContext['agent'] = null;
	const agentId = (number.data as { assigned_agent_id: string | null } | null)?.assigned_agent_id;
	if (agentId) {
		const found = await caller.client
			.from('ai_agents')
			.select('id, instructions, model')
			.eq('id', agentId)
			.maybeSingle();
		if (found.error) throw databaseFailure(found.error);
		agent = found.data as ConversationContext['agent'];
	}
	const thread = ((messages.data ?? []) as Parameters<typeof threadMessageOf>[0][])
		.reverse()
		.map((message) => threadMessageOf(message))
		.filter((message): message is ThreadMessage => message !== undefined);
	return {
		agent,
		contactName:
			(contact.data as { profile_name: string | null } | null)?.profile_name?.trim() || null,
		thread: boundThread(thread, budget)
	};
}

/** What the customer last asked: their open messages, or their last one if it was answered. */
function customerQuestion(thread: ThreadMessage[]): string {
	return openQuestion(thread) || (thread.findLast((m) => m.role === 'user')?.content ?? '');
}

async function suggest(ai: AiConfig, caller: Caller, conversationId: string): Promise<Suggestion> {
	const context = await conversationContext(caller, conversationId, ai.contextTokens);
	const question = customerQuestion(context.thread);
	const passages = context.agent
		? await retrievePassages(caller.client, context.agent.id, question, ai.knowledge)
		: [];
	const client = aiClient(ai);
	if (!client) {
		if (passages.length === 0) {
			return {
				text: '',
				citations: [],
				source: 'knowledge',
				notice:
					"Nothing in the AI agent's knowledge matches the customer's last message, so there is no suggestion. Write the reply yourself."
			};
		}
		return {
			text: passages[0].body,
			citations: [citationOf(passages[0])],
			source: 'knowledge',
			notice:
				'This is the passage of the knowledge that best matches (no AI key is configured): edit it into a reply before sending.'
		};
	}
	const model = context.agent?.model ?? ai.insightsModel;
	const instructions = context.agent?.instructions ?? '';
	// The draft continues the thread as the business; a question already answered is asked again.
	const thread =
		context.thread.at(-1)?.role === 'user'
			? context.thread
			: [...context.thread, { role: 'user' as const, content: question }];
	try {
		if (passages.length > 0) {
			const outcome = await answerFromPassages(client, {
				model,
				instructions,
				contactName: context.contactName,
				thread,
				passages,
				audience: 'team member',
				minConfidence: ai.knowledge.minConfidence
			});
			if (outcome.kind === 'answer') {
				return { text: outcome.text, citations: outcome.citations, source: 'ai' };
			}
		}
		const draft = await completeStructured(client, {
			model,
			messages: [
				{ role: 'system', content: replySystemPrompt(instructions, context.contactName) },
				...thread
			],
			responseFormat: replyResponseFormat,
			schema: replySchema
		});
		return {
			text: draft.reply,
			citations: [],
			source: 'ai',
			notice: "Nothing in the AI agent's knowledge answers this: check every fact before sending."
		};
	} catch (error) {
		if (!(error instanceof AiFailure)) throw error;
		throw new HttpError(
			502,
			'ai_failed',
			`The copilot could not draft a reply (${error.detail}). Try again in a moment.`
		);
	}
}

async function rewrite(ai: AiConfig, caller: Caller, body: z.infer<typeof rewriteSchema>) {
	const client = aiClient(ai);
	if (!client) {
		throw new HttpError(
			503,
			'ai_not_configured',
			'Rewriting needs an AI provider: whoever runs Parley sets OPENAI_API_KEY for the Edge Functions.'
		);
	}
	const context = await conversationContext(caller, body.conversationId, 1000);
	const customer = context.thread
		.filter((message) => message.role === 'user')
		.slice(-5)
		.map((message) => message.content);
	try {
		const output = await completeStructured(client, {
			model: context.agent?.model ?? ai.insightsModel,
			messages: [
				{ role: 'system', content: rewritePrompt(body.style) },
				{
					role: 'user',
					content: `<draft>\n${body.text}\n</draft>\n<customer_messages>\n${customer.join('\n')}\n</customer_messages>`
				}
			],
			responseFormat: rewriteResponseFormat,
			schema: rewriteOutput
		});
		if (!output.text.trim()) throw new AiFailure('invalid_output', 'the AI answer was empty');
		return { text: output.text.trim().slice(0, 4096) };
	} catch (error) {
		if (!(error instanceof AiFailure)) throw error;
		throw new HttpError(
			502,
			'ai_failed',
			`The copilot could not rewrite the draft (${error.detail}). Your draft is unchanged.`
		);
	}
}

/** The copilot function. */
export function createCopilotHandler(config: ProviderFunctionConfig, ai: AiConfig): Handler {
	return withCors(async (request) => {
		const [route, extra] = routeSegments(request, 'copilot');
		if (extra !== undefined || (route !== 'suggest' && route !== 'rewrite')) {
			throw new HttpError(404, 'not_found', 'There is no such route.');
		}
		if (request.method !== 'POST') throw methodNotAllowed(request);
		const caller = requireCaller(request, config);
		const body = await readJson(request);
		if (route === 'suggest') {
			const { conversationId } = parseWith(suggestSchema, body);
			return jsonResponse(await suggest(ai, caller, conversationId));
		}
		return jsonResponse(await rewrite(ai, caller, parseWith(rewriteSchema, body)));
	});
}

/**
 * The AI agent's auto-replies. After a customer message is stored, the conversation's reply job
 * moves to a new generation; a worker waits for the customer to be quiet (the debounce), claims the
 * job only if no newer message arrived and nobody else holds it, asks the model, and sends the
 * answer through the normal sending path as sender `ai`. Escalations and failures are told to the
 * tenant's people in words: a failed AI answer hands the conversation to people at once, so no
 * customer waits on a broken AI.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { HttpError } from './http.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { databaseFailure } from './database-errors.ts';
import { serviceClient } from './clients.ts';
import {
	deliverQueuedMessage,
	requireOpenWindow,
	type ConversationRow
} from './outbound-delivery.ts';
import {
	aiClient,
	AiFailure,
	boundThread,
	completeStructured,
	customerAsksForPerson,
	estimateTokens,
	replyResponseFormat,
	replySchema,
	replySystemPrompt,
	threadMessageOf,
	type AiConfig,
	type ThreadMessage
} from './ai.ts';
import {
	answerFromPassages,
	cannotAnswerReason,
	hasKnowledge,
	isSmallTalk,
	knowledgeHandover,
	nothingInKnowledgeReason,
	openQuestion,
	retrievePassages,
	type Citation,
	type KnowledgePassage
} from './knowledge.ts';

const defaultHandover =
	'Thank you for your patience. A member of our team will continue here shortly.';

interface ReplyContext {
	conversation: ConversationRow & { ai_active: boolean };
	contact: { wa_id: string | null; user_id: string | null; profile_name: string | null };
	agent: { id: string; name: string; instructions: string; model: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rpc<T>(
	service: SupabaseClient,
	name: string,
	args: Record<string, unknown>
): Promise<T> {
	const { data, error } = await service.rpc(name, args);
	if (error) throw databaseFailure(error);
	return data as T;
}

/**
 * Records that a customer message wants an answer; returns the job's new generation, or undefined
 * when no AI key is configured (auto-replies are off, and the agents page says why).
 */
export async function requestAiReply(
	ai: AiConfig,
	service: SupabaseClient,
	conversationId: string
): Promise<number | undefined> {
	if (!ai.apiKey) return undefined;
	return Number(
		await rpc<number | string>(service, 'ai_request_reply', { conversation_id: conversationId })
	);
}

/**
 * Answers a conversation's reply job once the customer is quiet: claims `generation`, answers,
 * and if newer messages came meanwhile, answers those too (the other workers find the job held).
 */
export async function runAiReplyJob(
	config: ProviderFunctionConfig,
	ai: AiConfig,
	conversationId: string,
	generation: number
): Promise<void> {
	const service = serviceClient(config);
	let target = generation;
	for (;;) {
		await sleep(ai.debounceMs);
		const claimed = await rpc<boolean>(service, 'ai_claim_reply', {
			conversation_id: conversationId,
			generation: target
		});
		if (!claimed) return;
		let newest: number | null;
		try {
			await answer(config, ai, service, conversationId, target);
		} finally {
			newest = await rpc<number | null>(service, 'ai_release_reply', {
				conversation_id: conversationId,
				generation: target
			});
		}
		if (newest === null || Number(newest) <= target) return;
		target = Number(newest);
	}
}

async function loadContext(
	service: SupabaseClient,
	conversationId: string
): Promise<ReplyContext | undefined> {
	const { data: conversation, error } = await service
		.from('conversations')
		.select('id, tenant_id, number_id, contact_id, last_inbound_at, ai_active')
		.eq('id', conversationId)
		.maybeSingle();
	if (error) throw databaseFailure(error);
	if (!conversation?.ai_active) return undefined;
	const { data: number, error: numberError } = await service
		.from('whatsapp_numbers')
		.select('active, assigned_agent_id')
		.eq('id', conversation.number_id)
		.maybeSingle();
	if (numberError) throw databaseFailure(numberError);
	if (!number?.active || !number.assigned_agent_id) return undefined;
	const [agent, contact] = await Promise.all([
		service
			.from('ai_agents')
			.select('id, name, instructions, model, active')
			.eq('id', number.assigned_agent_id)
			.maybeSingle(),
		service
			.from('contacts')
			.select('wa_id, user_id, profile_name')
			.eq('id', conversation.contact_id)
			.single()
	]);
	if (agent.error) throw databaseFailure(agent.error);
	if (contact.error) throw databaseFailure(contact.error);
	if (!agent.data?.active) return undefined;
	return {
		conversation: conversation as ReplyContext['conversation'],
		contact: contact.data as ReplyContext['contact'],
		agent: agent.data as ReplyContext['agent']
	};
}

/** The recent thread, newest last, as the model reads it, bounded by `budget` tokens. */
async function recentThread(
	service: SupabaseClient,
	conversationId: string,
	budget: number
): Promise<ThreadMessage[]> {
	const { data, error } = await service
		.from('messages')
		.select('sender, type, body, media, created_at')
		.eq('conversation_id', conversationId)
		.order('created_at', { ascending: false })
		.order('id', { ascending: false })
		.limit(200);
	if (error) throw databaseFailure(error);
	const thread = (data ?? [])
		.reverse()
		.map((message) => threadMessageOf(message))
		.filter((message): message is ThreadMessage => message !== undefined);
	return boundThread(thread, budget);
}

async function sendAsAi(
	config: ProviderFunctionConfig,
	service: SupabaseClient,
	context: ReplyContext,
	text: string,
	citations: Citation[] | null = null
): Promise<void> {
	try {
		requireOpenWindow(context.conversation);
	} catch (error) {
		if (!(error instanceof HttpError)) throw error;
		await rpc(service, 'ai_record_failure', {
			conversation_id: context.conversation.id,
			sentence: `The AI agent did not answer: ${error.message} A person should reply.`
		});
		return;
	}
	const queued = await rpc<{ id: string }>(service, 'queue_ai_message', {
		conversation_id: context.conversation.id,
		body: text.slice(0, 4096),
		citations
	});
	await deliverQueuedMessage(config, service, {
		messageId: queued.id,
		numberId: context.conversation.number_id,
		to: { waId: context.contact.wa_id, userId: context.contact.user_id },
		text: text.slice(0, 4096)
	});
}

/**
 * Turns AI off for the conversation, tells the team why, and tells the customer a person follows.
 * The hand-over is queued with the escalation in one call, so the team's note sits after it.
 */
async function escalate(
	config: ProviderFunctionConfig,
	service: SupabaseClient,
	context: ReplyContext,
	reason: string,
	handover: string
): Promise<void> {
	let windowClosed: string | undefined;
	try {
		requireOpenWindow(context.conversation);
	} catch (error) {
		if (!(error instanceof HttpError)) throw error;
		windowClosed = error.message;
	}
	const text = handover.slice(0, 4096);
	const handed = await rpc<{ escalated: boolean; message_id: string | null }>(
		service,
		'ai_hand_over',
		{ conversation_id: context.conversation.id, reason, handover: windowClosed ? null : text }
	);
	if (!handed.escalated) return;
	if (windowClosed || !handed.message_id) {
		await rpc(service, 'ai_record_failure', {
			conversation_id: context.conversation.id,
			sentence: `The AI agent did not answer: ${windowClosed ?? 'its hand-over was not stored.'} A person should reply.`
		});
		return;
	}
	await deliverQueuedMessage(config, service, {
		messageId: handed.message_id,
		numberId: context.conversation.number_id,
		to: { waId: context.contact.wa_id, userId: context.contact.user_id },
		text
	});
}

/**
 * The conversation's context if `generation` is still the newest and AI still answers: otherwise
 * the customer wrote again while the model thought, or a person turned AI off, and an answer would
 * be stale (the claim holder answers the newer messages after releasing).
 */
async function stillCurrent(
	service: SupabaseClient,
	conversationId: string,
	generation: number
): Promise<ReplyContext | undefined> {
	const newest = Number(
		await rpc<number>(service, 'ai_reply_generation', { conversation_id: conversationId })
	);
	if (newest !== generation) return undefined;
	return loadContext(service, conversationId);
}

/** Answers from the passages with their citations, or hands over when they do not answer. */
async function answerFromKnowledge(
	config: ProviderFunctionConfig,
	ai: AiConfig,
	service: SupabaseClient,
	context: ReplyContext,
	request: {
		client: NonNullable<ReturnType<typeof aiClient>>;
		contactName: string | null;
		thread: ThreadMessage[];
		question: string;
		passages: KnowledgePassage[];
		generation: number;
	}
): Promise<void> {
	let outcome;
	try {
		outcome = await answerFromPassages(request.client, {
			model: context.agent.model,
			instructions: context.agent.instructions,
			contactName: request.contactName,
			thread: request.thread,
			passages: request.passages,
			audience: 'customer',
			minConfidence: ai.knowledge.minConfidence
		});
	} catch (error) {
		if (!(error instanceof AiFailure)) throw error;
		await escalate(
			config,
			service,
			context,
			`The AI agent could not answer: ${error.detail}.`,
			defaultHandover
		);
		return;
	}
	await rpc(service, 'ai_record_success', { conversation_id: context.conversation.id });
	const fresh = await stillCurrent(service, context.conversation.id, request.generation);
	if (!fresh) return;
	if (outcome.kind === 'cannot') {
		await escalate(
			config,
			service,
			fresh,
			cannotAnswerReason(context.agent.name, request.question, outcome.reason),
			knowledgeHandover
		);
		return;
	}
	await sendAsAi(config, service, fresh, outcome.text, outcome.citations);
}

async function answer(
	config: ProviderFunctionConfig,
	ai: AiConfig,
	service: SupabaseClient,
	conversationId: string,
	generation: number
): Promise<void> {
	const client = aiClient(ai);
	const context = await loadContext(service, conversationId);
	if (!client || !context) return;
	const contactName = context.contact.profile_name?.trim() || null;
	const system = replySystemPrompt(context.agent.instructions, contactName);
	const thread = await recentThread(
		service,
		conversationId,
		Math.max(256, ai.contextTokens - estimateTokens(system))
	);
	const lastCustomerText = thread.findLast((message) => message.role === 'user')?.content ?? '';

	// An agent with knowledge answers questions only from it; greetings, thanks and requests for a
	// person go the plain way below.
	if (await hasKnowledge(service, context.agent.id)) {
		const question = openQuestion(thread);
		const asksForPerson = customerAsksForPerson(question);
		const passages = asksForPerson
			? []
			: await retrievePassages(service, context.agent.id, question, ai.knowledge);
		if (passages.length > 0) {
			await answerFromKnowledge(config, ai, service, context, {
				client,
				contactName,
				thread,
				question,
				passages,
				generation
			});
			return;
		}
		if (!asksForPerson && !isSmallTalk(question)) {
			const fresh = await stillCurrent(service, conversationId, generation);
			if (fresh) {
				await escalate(
					config,
					service,
					fresh,
					nothingInKnowledgeReason(context.agent.name, question),
					knowledgeHandover
				);
			}
			return;
		}
	}

	let reply;
	try {
		reply = await completeStructured(client, {
			model: context.agent.model,
			messages: [{ role: 'system', content: system }, ...thread],
			responseFormat: replyResponseFormat,
			schema: replySchema
		});
		if (!reply.reply.trim() && !reply.escalate) {
			throw new AiFailure('invalid_output', 'the AI answer was empty');
		}
	} catch (error) {
		if (!(error instanceof AiFailure)) throw error;
		// The customer is waiting: people take over now rather than after more failed attempts.
		await escalate(
			config,
			service,
			context,
			`The AI agent could not answer: ${error.detail}.`,
			defaultHandover
		);
		return;
	}
	await rpc(service, 'ai_record_success', { conversation_id: conversationId });

	// The customer wrote again while the model thought, or a person turned AI off: this answer is
	// stale. The claim holder answers the newer messages after releasing.
	const fresh = await stillCurrent(service, conversationId, generation);
	if (!fresh) return;

	const customerAsked = customerAsksForPerson(lastCustomerText);
	if (reply.escalate || customerAsked) {
		const reason =
			reply.reason.trim() ||
			(customerAsked
				? 'The customer asked to talk to a person.'
				: 'The AI agent decided a person should take over.');
		await escalate(config, service, fresh, reason, reply.reply.trim() || defaultHandover);
		return;
	}
	await sendAsAi(config, service, fresh, reply.reply.trim());
}

/**
 * The knowledge function, for people signed in to the app (their JWT; RLS decides):
 *   POST knowledge/files  multipart {agentId, file, title?} → 201 { source: {id, title, passageCount} }
 *        an owner or admin uploads Markdown, plain text or PDF; its text becomes passages and the
 *        file is kept in Storage.
 *   POST knowledge/ask    { agentId, question, history? } → { kind, reply, reason?, citations, passages, notice? }
 *        the agent test chat: what the agent would answer a customer, and from which passages,
 *        sending nothing to anyone.
 */
import { z } from 'zod';
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
import {
	aiClient,
	AiFailure,
	completeStructured,
	customerAsksForPerson,
	replyResponseFormat,
	replySchema,
	replySystemPrompt,
	type AiConfig
} from './ai.ts';
import {
	answerFromPassages,
	cannotAnswerReason,
	citationOf,
	isSmallTalk,
	knowledgeHandover,
	nothingInKnowledgeReason,
	retrievePassages,
	type Citation,
	type KnowledgePassage
} from './knowledge.ts';
import {
	knowledgeBucket,
	knowledgeFileType,
	knowledgeTextOf,
	maxKnowledgeFileBytes,
	storageFileName,
	titleOfFile
} from './knowledge-files.ts';

const agentIdSchema = z.guid('That is not a valid AI agent id.');

const askSchema = z.object({
	agentId: agentIdSchema,
	question: z
		.string()
		.trim()
		.min(1, 'Write a question to try the agent with.')
		.max(2000, 'A question can be at most 2,000 characters long.'),
	// The test chat so far, so follow-up questions read as they would in a conversation.
	history: z
		.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().max(4000) }))
		.max(20)
		.default([])
});

/** What the agent would do with a question. */
export interface AskAnswer {
	/** answer: sent to the customer; escalate: handed to a person; retrieval: no AI key, the best passage. */
	kind: 'answer' | 'escalate' | 'retrieval';
	reply: string;
	reason?: string;
	citations: Citation[];
	passages: { passage_id: string; title: string; score: number }[];
	notice?: string;
}

async function agentOf(caller: Caller, agentId: string) {
	const { data, error } = await caller.client
		.from('ai_agents')
		.select('id, tenant_id, name, instructions, model')
		.eq('id', agentId)
		.maybeSingle();
	if (error) throw databaseFailure(error);
	if (!data)
		throw new HttpError(404, 'not_found', 'There is no such AI agent, or you cannot see it.');
	return data as {
		id: string;
		tenant_id: string;
		name: string;
		instructions: string;
		model: string;
	};
}

const listed = (passages: KnowledgePassage[]) =>
	passages.map((passage) => ({
		passage_id: passage.passage_id,
		title: passage.heading,
		score: passage.score
	}));

async function ask(ai: AiConfig, caller: Caller, body: z.infer<typeof askSchema>) {
	const agent = await agentOf(caller, body.agentId);
	const question = body.question;
	if (customerAsksForPerson(question)) {
		return {
			kind: 'escalate',
			reply: knowledgeHandover,
			reason: 'The customer asked to talk to a person.',
			citations: [],
			passages: []
		} satisfies AskAnswer;
	}
	const passages = await retrievePassages(caller.client, agent.id, question, ai.knowledge);
	const client = aiClient(ai);
	if (passages.length === 0 && !isSmallTalk(question)) {
		return {
			kind: 'escalate',
			reply: knowledgeHandover,
			reason: nothingInKnowledgeReason(agent.name, question),
			citations: [],
			passages: []
		} satisfies AskAnswer;
	}
	if (!client) {
		return {
			kind: 'retrieval',
			reply: passages[0]?.body ?? '',
			citations: passages.slice(0, 1).map(citationOf),
			passages: listed(passages),
			notice:
				'No AI key is configured, so this is the passage that best matches, not an answer; customers get no automatic reply until OPENAI_API_KEY is set.'
		} satisfies AskAnswer;
	}
	const thread = [...body.history, { role: 'user' as const, content: question }];
	try {
		if (passages.length === 0) {
			// Small talk: answered from the instructions, as a customer would be.
			const reply = await completeStructured(client, {
				model: agent.model,
				messages: [
					{ role: 'system', content: replySystemPrompt(agent.instructions, null) },
					...thread
				],
				responseFormat: replyResponseFormat,
				schema: replySchema
			});
			return {
				kind: 'answer',
				reply: reply.reply,
				citations: [],
				passages: []
			} satisfies AskAnswer;
		}
		const outcome = await answerFromPassages(client, {
			model: agent.model,
			instructions: agent.instructions,
			contactName: null,
			thread,
			passages,
			audience: 'customer',
			minConfidence: ai.knowledge.minConfidence
		});
		if (outcome.kind === 'cannot') {
			return {
				kind: 'escalate',
				reply: knowledgeHandover,
				reason: cannotAnswerReason(agent.name, question, outcome.reason),
				citations: [],
				passages: listed(passages)
			} satisfies AskAnswer;
		}
		return {
			kind: 'answer',
			reply: outcome.text,
			citations: outcome.citations,
			passages: listed(passages)
		} satisfies AskAnswer;
	} catch (error) {
		if (!(error instanceof AiFailure)) throw error;
		throw new HttpError(
			502,
			'ai_failed',
			`The AI could not answer (${error.detail}). Try again in a moment; a customer would have been handed to a person.`
		);
	}
}

async function uploadFile(config: ProviderFunctionConfig, caller: Caller, request: Request) {
	let form: FormData;
	try {
		form = await request.formData();
	} catch {
		throw new HttpError(400, 'invalid_request', 'Send the file as multipart form data.');
	}
	const agentId = parseWith(agentIdSchema, form.get('agentId'));
	const file = form.get('file');
	if (!(file instanceof File) || file.size === 0) {
		throw new HttpError(400, 'invalid_request', 'Choose a file to upload.');
	}
	if (file.size > maxKnowledgeFileBytes) {
		throw new HttpError(
			413,
			'file_too_large',
			'Files can be at most 5 MB. Split the document, or paste the part that matters into an article.'
		);
	}
	const contentType = knowledgeFileType(file.name);
	const bytes = new Uint8Array(await file.arrayBuffer());
	const text = await knowledgeTextOf(bytes, contentType);
	const titleField = form.get('title');
	const title =
		typeof titleField === 'string' && titleField.trim()
			? titleField.trim()
			: titleOfFile(file.name);

	// Inserted as the caller, so RLS lets only the agent's owners and admins add knowledge.
	const { data, error } = await caller.client
		.from('knowledge_sources')
		.insert({
			agent_id: agentId,
			kind: 'file',
			title,
			body: text,
			file_name: file.name.slice(0, 255),
			content_type: contentType,
			byte_size: file.size
		})
		.select('id, tenant_id, title')
		.single();
	if (error) {
		if (error.code === '42501') {
			throw new HttpError(
				403,
				'forbidden',
				'Only owners and admins can add knowledge to an AI agent.'
			);
		}
		if (error.code === 'P0002') {
			throw new HttpError(404, 'not_found', 'There is no such AI agent, or you cannot see it.');
		}
		if (error.code === '22023') throw new HttpError(422, 'invalid_request', error.message);
		throw databaseFailure(error);
	}
	const source = data as { id: string; tenant_id: string; title: string };
	const service = serviceClient(config);
	const path = `${source.tenant_id}/${agentId}/${source.id}/${storageFileName(file.name)}`;
	const stored = await service.storage
		.from(knowledgeBucket)
		.upload(path, bytes, { contentType, upsert: true });
	if (stored.error) {
		console.error('a knowledge file could not be kept', stored.error);
		// Knowledge without its file would be a source nobody can check: take it back.
		await service.from('knowledge_sources').delete().eq('id', source.id);
		throw new HttpError(
			503,
			'storage_failed',
			'The file could not be kept, so it was not added. Try again in a moment.'
		);
	}
	const updated = await service
		.from('knowledge_sources')
		.update({ storage_path: path })
		.eq('id', source.id)
		.select('id, title, passage_count')
		.single();
	if (updated.error) throw databaseFailure(updated.error);
	const row = updated.data as { id: string; title: string; passage_count: number };
	return jsonResponse(
		{ source: { id: row.id, title: row.title, passageCount: row.passage_count } },
		201
	);
}

/** The knowledge function. */
export function createKnowledgeHandler(config: ProviderFunctionConfig, ai: AiConfig): Handler {
	return withCors(async (request) => {
		const [route, extra] = routeSegments(request, 'knowledge');
		if (extra !== undefined || (route !== 'files' && route !== 'ask')) {
			throw new HttpError(404, 'not_found', 'There is no such route.');
		}
		if (request.method !== 'POST') throw methodNotAllowed(request);
		const caller = requireCaller(request, config);
		if (route === 'files') return uploadFile(config, caller, request);
		return jsonResponse(await ask(ai, caller, parseWith(askSchema, await readJson(request))));
	});
}

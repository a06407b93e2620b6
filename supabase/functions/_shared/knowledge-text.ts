/**
 * Grounded answers' text without dependencies (so unit tests and the app can use it): how passages
 * are shown to the model, what question the customer is asking, which messages are small talk, and
 * the sentences the team and the customer read when the knowledge has no answer.
 */
import type { ThreadMessage } from './ai-text.ts';

/** Retrieval settings, from function secrets. */
export interface KnowledgeConfig {
	/** PARLEY_KNOWLEDGE_MIN_SCORE: the share of the question's words a passage must cover. */
	minScore: number;
	/** PARLEY_KNOWLEDGE_PASSAGES: how many passages go with a question. */
	passages: number;
	/** PARLEY_KNOWLEDGE_MIN_CONFIDENCE: below it, a grounded answer is handed to a person. */
	minConfidence: number;
}

const fraction = (value: string | undefined, fallback: number) => {
	const parsed = Number(value);
	return value && Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : fallback;
};

/** Reads the retrieval settings from an environment object. */
export function knowledgeConfig(env: Record<string, string | undefined>): KnowledgeConfig {
	const passages = Number(env.PARLEY_KNOWLEDGE_PASSAGES);
	return {
		minScore: fraction(env.PARLEY_KNOWLEDGE_MIN_SCORE, 0.5),
		passages: Number.isInteger(passages) && passages >= 1 && passages <= 20 ? passages : 5,
		minConfidence: fraction(env.PARLEY_KNOWLEDGE_MIN_CONFIDENCE, 0.5)
	};
}

/** A passage as match_knowledge returns it. */
export interface KnowledgePassage {
	passage_id: string;
	source_id: string;
	source_title: string;
	heading: string;
	body: string;
	/** Share of the question's words the passage contains, 0..1. */
	score: number;
}

/** What an AI message keeps of a passage it was drawn from (messages.citations). */
export interface Citation {
	passage_id: string;
	source_id: string;
	title: string;
	excerpt: string;
}

/** A passage as stored with the message that used it: its heading and the start of its text. */
export function citationOf(passage: KnowledgePassage): Citation {
	const excerpt =
		passage.body.length > 400 ? `${passage.body.slice(0, 399).trimEnd()}…` : passage.body;
	return {
		passage_id: passage.passage_id,
		source_id: passage.source_id,
		title: passage.heading,
		excerpt
	};
}

/** The label a passage has in the prompt: short, so the model copies it back exactly. */
export const passageLabel = (index: number) => `P${index + 1}`;

const escapeAttribute = (text: string) => text.replace(/["<>\n]/g, ' ');

/** The passages as the model reads them: one tagged block each, labelled P1, P2, … */
export function passagesBlock(passages: KnowledgePassage[]): string {
	if (passages.length === 0) return '<passages>\n</passages>';
	const blocks = passages.map(
		(passage, index) =>
			`<passage id="${passageLabel(index)}" title="${escapeAttribute(passage.heading)}">\n${passage.body.replace(/<\/?passage[^>]*>/g, '')}\n</passage>`
	);
	return `<passages>\n${blocks.join('\n')}\n</passages>`;
}

/** What the customer is asking now: their messages since the last answer, newest last. */
export function openQuestion(thread: ThreadMessage[]): string {
	const asked: string[] = [];
	for (let index = thread.length - 1; index >= 0; index -= 1) {
		if (thread[index].role !== 'user') break;
		asked.unshift(thread[index].content);
	}
	return asked.join('\n').trim();
}

const SMALL_TALK =
	/^(hi|hey|hello|hola|ol[aá]|good (morning|afternoon|evening)|buen[oa]s (d[ií]as|tardes|noches)|thanks?( you)?( so much)?|thank you|thx|gracias|obrigad[oa]|ok(ay)?|great|perfect|bye|goodbye|adi[oó]s|cool|nice|yes|no|👍|🙏)[\s!.,?:)]*$/i;

/** Greetings, thanks and one-word acknowledgements: answered without the knowledge. */
export function isSmallTalk(text: string): boolean {
	return text
		.split('\n')
		.map((line) => line.trim())
		.filter(Boolean)
		.every((line) => SMALL_TALK.test(line));
}

/** Shortens the customer's question for a sentence the team reads. */
export function quoted(text: string, max = 160): string {
	const line = text.replace(/\s+/g, ' ').trim();
	return `“${line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line}”`;
}

/** Why the agent handed over when its knowledge has nothing on the question. */
export function nothingInKnowledgeReason(agentName: string, question: string): string {
	return `${agentName} found nothing in its knowledge that answers ${quoted(question)}.`;
}

/** Why the agent handed over when the model said the passages do not answer the question. */
export function cannotAnswerReason(agentName: string, question: string, why: string): string {
	const detail = why.trim().replace(/[.\s]+$/, '');
	return `${agentName} could not answer ${quoted(question)} from its knowledge${detail ? `: ${detail}` : ''}.`;
}

/** What the customer reads when the knowledge has no answer and a person takes over. */
export const knowledgeHandover =
	"I don't have that information, so I'm asking a member of our team to help you. They will continue here shortly.";

/** The system message of a grounded request: instructions, the passages, and how to answer. */
export function groundedSystemPrompt(options: {
	instructions: string;
	contactName: string | null;
	passages: KnowledgePassage[];
	audience: 'customer' | 'team member';
}): string {
	const { instructions, contactName, passages, audience } = options;
	return [
		instructions.trim() || 'You are a helpful customer service agent.',
		'',
		audience === 'customer'
			? `You are answering a customer on WhatsApp${contactName ? ` whose name is ${contactName}` : ''}. Write short, friendly messages in the customer's language.`
			: `You draft the next WhatsApp reply for a team member to edit and send to the customer${contactName ? ` ${contactName}` : ''}. Write it short and friendly, in the customer's language.`,
		"Answer only from the passages of the business's knowledge below; never invent facts, prices or promises that are not in them.",
		passagesBlock(passages),
		'Answer with JSON: "answer" is the message; "passage_ids" lists the ids (like "P1") of the passages the answer uses; "confidence" is from 0 to 1; set "can_answer" to false, with a one-sentence "reason" for the team, when the passages do not answer the question.'
	].join('\n');
}

/** The system message of a rewrite request. */
export function rewritePrompt(style: 'shorter' | 'friendlier' | 'translate'): string {
	const task = {
		shorter: 'Make it shorter and clearer, keeping every fact, in the same language.',
		friendlier: 'Make it warmer and friendlier, keeping every fact, in the same language.',
		translate:
			'Translate it into the language the customer writes in (their messages follow the draft); keep every fact. If the draft is already in that language, return it unchanged.'
	}[style];
	return [
		'You rewrite a WhatsApp reply that a team member drafted for a customer.',
		`Style: ${style}. ${task}`,
		'Answer with JSON: "text" is the rewritten reply, nothing else.'
	].join('\n');
}

/**
 * The AI agent's text handling without dependencies (so the app and unit tests can use it too):
 * token estimates, the thread bounded by tokens, the system prompt, offline sentiment labels and
 * extractive summaries.
 */

/**
 * Estimated tokens of a text: characters / 4, OpenAI's documented rule of thumb for English. The
 * agent's model can be any OpenAI-compatible one, so no single tokenizer is exact; the budget is
 * a bound on cost and context, not an exact count.
 */
export function estimateTokens(text: string): number {
	return Math.ceil(text.length / 4);
}

/** One message of the thread as the model sees it. */
export interface ThreadMessage {
	role: 'user' | 'assistant';
	content: string;
}

/** The newest messages that fit in `budget` tokens, oldest first (always at least the newest). */
export function boundThread(messages: ThreadMessage[], budget: number): ThreadMessage[] {
	const kept: ThreadMessage[] = [];
	let used = 0;
	for (let index = messages.length - 1; index >= 0; index -= 1) {
		// A few tokens of per-message overhead, as the chat format adds them.
		const cost = estimateTokens(messages[index].content) + 4;
		if (kept.length > 0 && used + cost > budget) break;
		kept.unshift(messages[index]);
		used += cost;
	}
	return kept;
}

/** A stored message in the words the model reads; undefined for what it should not see. */
export function threadMessageOf(message: {
	sender: string;
	type: string;
	body: string | null;
	media?: { caption?: string | null; filename?: string | null } | null;
}): ThreadMessage | undefined {
	if (message.sender === 'system') return undefined;
	const text =
		message.body?.trim() ||
		message.media?.caption?.trim() ||
		(message.type === 'text'
			? ''
			: `[${message.type}${message.media?.filename ? `: ${message.media.filename}` : ''}]`);
	if (!text) return undefined;
	return { role: message.sender === 'customer' ? 'user' : 'assistant', content: text };
}

/** The system message of a reply request: the agent's instructions and how to answer. */
export function replySystemPrompt(instructions: string, contactName: string | null): string {
	return [
		instructions.trim() || 'You are a helpful customer service agent.',
		'',
		`You are answering a customer on WhatsApp${contactName ? ` whose name is ${contactName}` : ''}. Write short, friendly messages in the customer's language.`,
		'Answer with JSON: "reply" is your message to the customer; set "escalate" to true and explain in "reason" when the customer asks for a person or you cannot help, and then "reply" tells the customer that a member of the team will continue.'
	].join('\n');
}

const HUMAN_REQUEST =
	/\b(human|real person|representative|operator|talk to (a |an |some)?(person|human|agent|one|body)|speak (to|with) (a |an |some)?(person|human|agent|one|body)|humano|una persona|asesor)\b/i;

/** Whether the customer asked for a person in so many words (escalates even if the model did not). */
export function customerAsksForPerson(text: string): boolean {
	return HUMAN_REQUEST.test(text);
}

/** A lexicon score (e.g. AFINN's comparative, per word) as a label and a score on -1..1. */
export function sentimentOfScore(comparative: number): {
	sentiment: 'positive' | 'neutral' | 'negative';
	score: number;
} {
	// AFINN words score -5..5 and most messages mix them with neutral words; /2 spreads typical
	// messages over the range without saturating on one strong word.
	const score = Math.round(Math.max(-1, Math.min(1, comparative / 2)) * 100) / 100;
	return { sentiment: score >= 0.05 ? 'positive' : score <= -0.05 ? 'negative' : 'neutral', score };
}

const STOPWORDS = new Set(
	(
		'a an and are as at be but by can do for from has have hi hello i if in is it its me my no not of on or our ' +
		'so that the their them there they this to too us was we what when where which who will with you your ' +
		"yes ok okay please thanks thank just am im i'm de la el en y que los las un una por para con es"
	).split(' ')
);

const wordsOf = (text: string) =>
	(text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []).filter((word) => !STOPWORDS.has(word));

/**
 * An extractive summary: the `count` most informative sentences (those whose words recur most in
 * the conversation), in the order they were written.
 */
export function extractiveSummary(texts: string[], count = 3, maxLength = 600): string {
	const sentences = texts
		.flatMap((text) => text.split(/(?<=[.!?])\s+|\n+/))
		.map((sentence) => sentence.trim())
		.filter((sentence) => sentence.length > 0);
	if (sentences.length === 0) return 'No messages to summarise yet.';
	const frequency = new Map<string, number>();
	for (const sentence of sentences) {
		for (const word of new Set(wordsOf(sentence)))
			frequency.set(word, (frequency.get(word) ?? 0) + 1);
	}
	const scored = sentences.map((sentence, index) => {
		const words = wordsOf(sentence);
		const weight = words.reduce((sum, word) => sum + (frequency.get(word) ?? 0), 0);
		// Dividing by √length favours sentences dense in recurring words over merely long ones.
		return { sentence, index, score: words.length ? weight / Math.sqrt(words.length) : 0 };
	});
	const chosen = [...scored]
		.sort((a, b) => b.score - a.score || a.index - b.index)
		.slice(0, count)
		.sort((a, b) => a.index - b.index)
		.map(({ sentence }) => (/[.!?]$/.test(sentence) ? sentence : `${sentence}.`));
	const summary = chosen.join(' ');
	return summary.length > maxLength ? `${summary.slice(0, maxLength - 1).trimEnd()}…` : summary;
}

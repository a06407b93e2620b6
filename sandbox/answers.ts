/**
 * Deterministic "model" answers: the same conversation always gets the same reply, and a JSON
 * schema is answered with a value that validates against it, filled from what the customer wrote.
 */

export interface Conversation {
	/** The last user message, as text. */
	lastUserText: string;
	/** Every user message, oldest first. */
	userTexts: string[];
}

const HUMAN_REQUEST =
	/\b(human|agent|person|representative|operator|real (person|someone)|someone real|talk to (someone|a person)|humano|persona|asesor|agente)\b/i;
const NEGATIVE =
	/\b(bad|angry|terrible|awful|worst|broken|late|refund|complain|hate|upset|malo|molest[oa]|p[eé]simo)\b/i;
const POSITIVE =
	/\b(thanks|thank you|great|love|perfect|awesome|excellent|happy|gracias|genial|excelente)\b/i;

/** Whether the customer asked for a person. */
export function asksForHuman(text: string): boolean {
	return HUMAN_REQUEST.test(text);
}

/** A keyword sentiment of everything the customer wrote. */
export function sentimentOf(texts: string[]): 'positive' | 'neutral' | 'negative' {
	const all = texts.join(' ');
	if (NEGATIVE.test(all)) return 'negative';
	if (POSITIVE.test(all)) return 'positive';
	return 'neutral';
}

/** The plain-text reply to a conversation. */
export function replyText(conversation: Conversation): string {
	if (asksForHuman(conversation.lastUserText))
		return 'I am connecting you with a member of our team now.';
	if (!conversation.lastUserText) return 'Hello! How can I help you today?';
	return `Sandbox reply to: ${conversation.lastUserText}`;
}

/** A one-sentence summary of a conversation. */
export function summaryText(conversation: Conversation): string {
	const count = conversation.userTexts.length;
	const last = conversation.lastUserText || 'nothing yet';
	return `The customer sent ${count} message${count === 1 ? '' : 's'}; the last one was: "${last}".`;
}

type JsonSchema = {
	type?: string | string[];
	properties?: Record<string, JsonSchema>;
	items?: JsonSchema;
	enum?: unknown[];
	const?: unknown;
	anyOf?: JsonSchema[];
	oneOf?: JsonSchema[];
	allOf?: JsonSchema[];
	$ref?: string;
	minItems?: number;
	maxItems?: number;
	minLength?: number;
	maxLength?: number;
	minimum?: number;
	maximum?: number;
	exclusiveMinimum?: number;
	exclusiveMaximum?: number;
	format?: string;
	default?: unknown;
	[key: string]: unknown;
};

/** A value that validates against `schema`, derived from the conversation and the field names. */
export function answerForSchema(schema: unknown, conversation: Conversation): unknown {
	const root = (schema ?? {}) as JsonSchema;
	const resolve = (node: JsonSchema): JsonSchema => {
		if (!node.$ref) return node;
		const path = node.$ref
			.replace(/^#\//, '')
			.split('/')
			.map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
		let target: unknown = root;
		for (const part of path) target = (target as Record<string, unknown> | undefined)?.[part];
		return resolve((target ?? {}) as JsonSchema);
	};

	const fill = (input: JsonSchema, key: string): unknown => {
		const node = resolve(input);
		if ('const' in node) return node.const;
		if (node.enum?.length) return pickEnum(node.enum, key, conversation);
		const variants = node.anyOf ?? node.oneOf;
		if (variants?.length) {
			const usable =
				variants.map(resolve).find((variant) => variant.type !== 'null') ?? variants[0];
			return fill(usable, key);
		}
		if (node.allOf?.length)
			return fill(Object.assign({}, ...node.allOf.map(resolve)) as JsonSchema, key);
		const type = Array.isArray(node.type)
			? (node.type.find((t) => t !== 'null') ?? 'null')
			: node.type;
		switch (type ?? (node.properties ? 'object' : 'string')) {
			case 'object': {
				const result: Record<string, unknown> = {};
				for (const [name, child] of Object.entries(node.properties ?? {}))
					result[name] = fill(child, name);
				return result;
			}
			case 'array': {
				const count = Math.min(
					Math.max(node.minItems ?? 1, 1),
					node.maxItems ?? Number.POSITIVE_INFINITY
				);
				return Array.from({ length: count }, () => fill(node.items ?? {}, key));
			}
			case 'boolean':
				return /escalat|handoff|hand_off|human|transfer/i.test(key)
					? asksForHuman(conversation.lastUserText)
					: false;
			case 'integer':
			case 'number':
				return numberFor(node, key, conversation, type === 'integer');
			case 'null':
				return null;
			default:
				return stringFor(node, key, conversation);
		}
	};
	return fill(root, '');
}

function pickEnum(options: unknown[], key: string, conversation: Conversation): unknown {
	const sentiment = sentimentOf(conversation.userTexts);
	if (/sentiment|mood|tone/i.test(key)) {
		const match = options.find((option) => String(option).toLowerCase() === sentiment);
		if (match !== undefined) return match;
	}
	if (/escalat|handoff|human|action|intent/i.test(key) && asksForHuman(conversation.lastUserText)) {
		const match = options.find((option) => /escalat|human|handoff|transfer/i.test(String(option)));
		if (match !== undefined) return match;
	}
	return options[0];
}

function numberFor(
	node: JsonSchema,
	key: string,
	conversation: Conversation,
	integer: boolean
): number {
	const low =
		node.minimum ??
		(node.exclusiveMinimum !== undefined
			? node.exclusiveMinimum + (integer ? 1 : 0.01)
			: undefined);
	const high =
		node.maximum ??
		(node.exclusiveMaximum !== undefined
			? node.exclusiveMaximum - (integer ? 1 : 0.01)
			: undefined);
	let value = 0;
	if (/sentiment|score/i.test(key)) {
		const sentiment = sentimentOf(conversation.userTexts);
		value = sentiment === 'positive' ? 0.8 : sentiment === 'negative' ? -0.6 : 0;
		if (low !== undefined && high !== undefined && low >= 0) {
			// A score on [low, high]: map -1..1 onto it.
			value = low + ((value + 1) / 2) * (high - low);
		}
	} else if (/confidence|probability/i.test(key)) value = 0.9;
	if (low !== undefined) value = Math.max(value, low);
	if (high !== undefined) value = Math.min(value, high);
	return integer ? Math.round(value) : Math.round(value * 100) / 100;
}

function stringFor(node: JsonSchema, key: string, conversation: Conversation): string {
	let text: string;
	if (node.format === 'date-time') return new Date(0).toISOString();
	if (node.format === 'date') return '1970-01-01';
	if (/summary/i.test(key)) text = summaryText(conversation);
	else if (/sentiment|mood|tone/i.test(key)) text = sentimentOf(conversation.userTexts);
	else if (/reason|explanation|why/i.test(key)) {
		text = asksForHuman(conversation.lastUserText)
			? 'The customer asked to talk to a person.'
			: 'The AI agent can answer this.';
	} else if (/lang/i.test(key))
		text = /[ñáéíóú¿¡]|\b(hola|gracias|tienen|quiero)\b/i.test(conversation.lastUserText)
			? 'es'
			: 'en';
	else if (/reply|answer|response|message|text|content|body/i.test(key) || key === '')
		text = replyText(conversation);
	else text = `sandbox ${key}`;
	if (node.minLength && text.length < node.minLength) text = text.padEnd(node.minLength, '.');
	if (node.maxLength && text.length > node.maxLength) text = text.slice(0, node.maxLength);
	return text;
}

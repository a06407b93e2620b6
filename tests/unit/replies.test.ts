import { describe, expect, it } from 'vitest';
import {
	cannedResponseFormSchema,
	fillVariables,
	searchCannedResponses,
	slashQueryAt,
	unknownVariables,
	type CannedResponse
} from '$lib/inbox/canned-responses';
import {
	mentionedIn,
	mentionQueryAt,
	searchMembers,
	threadItems,
	type ConversationNote
} from '$lib/inbox/notes';
import type { ChatMessage } from '$lib/inbox/types';

const response = (shortcut: string, title: string, body: string): CannedResponse => ({
	id: shortcut,
	shortcut,
	title,
	body,
	updated_at: '2026-12-01T10:00:00Z'
});

describe('canned responses', () => {
	it("fills the customer's and the agent's names, first names too, and leaves unknown braces", () => {
		expect(
			fillVariables(
				'Hi {{customer_first_name}} ({{ customer_name }}), {{agent_name}} here. {{x}}',
				{
					customerName: 'Ana Gómez',
					agentName: 'Arlo Agent'
				}
			)
		).toBe('Hi Ana (Ana Gómez), Arlo Agent here. {{x}}');
		expect(unknownVariables('{{agent_first_name}} {{order_id}} {{order_id}}')).toEqual([
			'order_id'
		]);
	});

	it('finds a response by the words after /, shortcut matches first', () => {
		const list = [
			response('refund', 'Refund policy', 'Refunds take 5 days.'),
			response('greeting', 'Hello', 'Hi there, how can we help with a refund?')
		];
		expect(searchCannedResponses(list, 'ref').map((row) => row.shortcut)).toEqual([
			'refund',
			'greeting'
		]);
		expect(searchCannedResponses(list, 'hello').map((row) => row.shortcut)).toEqual(['greeting']);
		expect(searchCannedResponses(list, 'nothing')).toEqual([]);
	});

	it('opens the picker only for a / at the start of a line', () => {
		expect(slashQueryAt('/gre', 4)).toEqual({ start: 0, query: 'gre' });
		expect(slashQueryAt('Hello\n/ref', 10)).toEqual({ start: 6, query: 'ref' });
		expect(slashQueryAt('and/or', 6)).toBeNull();
		expect(slashQueryAt('/', 1)).toEqual({ start: 0, query: '' });
	});

	it('the form names the field that is wrong, in a sentence', () => {
		const refused = cannedResponseFormSchema.safeParse({
			shortcut: 'two words',
			title: '',
			body: 'Hi {{name}}'
		});
		expect(refused.success).toBe(false);
		const fields = Object.fromEntries(
			(refused.error?.issues ?? []).map((issue) => [issue.path[0], issue.message])
		);
		expect(fields.shortcut).toMatch(/lowercase letters, digits/);
		expect(fields.title).toMatch(/Enter a title/);
		expect(fields.body).toMatch(/\{\{name\}\} is not a variable Parley fills in/);
		expect(
			cannedResponseFormSchema.parse({ shortcut: '/Greeting', title: 'Hi', body: 'Hello' })
		).toEqual({ shortcut: 'greeting', title: 'Hi', body: 'Hello' });
	});
});

const message = (id: string, at: string): ChatMessage => ({
	id,
	conversation_id: 'c',
	direction: 'inbound',
	sender: 'customer',
	sender_user_id: null,
	type: 'text',
	body: id,
	media: null,
	location: null,
	provider_message_id: null,
	status: 'received',
	error_code: null,
	error_message: null,
	created_at: at
});
const note = (id: string, at: string): ConversationNote => ({
	id,
	conversation_id: 'c',
	author_id: 'u',
	body: id,
	mentioned_user_ids: [],
	created_at: at
});

describe('internal notes in the thread', () => {
	it('sit among the messages in time order', () => {
		const items = threadItems(
			[message('m1', '2026-12-01T10:00:00Z'), message('m2', '2026-12-01T10:05:00Z')],
			[note('n1', '2026-12-01T10:02:00Z'), note('n2', '2026-12-01T10:06:00Z')],
			false
		);
		expect(items.map((item) => item.key)).toEqual([
			'message-m1',
			'note-n1',
			'message-m2',
			'note-n2'
		]);
	});

	it('wait with older messages not loaded yet', () => {
		const items = threadItems(
			[message('m2', '2026-12-01T10:05:00Z')],
			[note('n0', '2026-12-01T09:00:00Z'), note('n1', '2026-12-01T10:06:00Z')],
			true
		);
		expect(items.map((item) => item.key)).toEqual(['message-m2', 'note-n1']);
	});

	it('mention only the picked members whose @Name is still in the text', () => {
		const picked = [
			{ userId: 'a', name: 'Ada Admin' },
			{ userId: 'o', name: 'Olive Owner' }
		];
		expect(mentionedIn('@Ada Admin please look', picked)).toEqual(['a']);
		expect(mentionQueryAt('Hey @Ad', 7)).toEqual({ start: 4, query: 'Ad' });
		expect(mentionQueryAt('mail@example', 12)).toBeNull();
		expect(searchMembers(picked, 'adm').map((member) => member.userId)).toEqual(['a']);
	});
});

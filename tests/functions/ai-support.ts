import { expect } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { DEMO_CREDENTIALS, type Sandbox, type SandboxMessage } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction, signedIn } from '../support/clients.ts';
import { commitAs, createUser, rowsOf } from '../db/support.ts';

// Arranging the AI agent tests as people do: a team, a connected Twilio account, an AI agent
// assigned to a number, customers writing through the sandbox.

export interface Team {
	tenantId: string;
	owner: SupabaseClient;
	agent: SupabaseClient;
	ids: { owner: string; agent: string };
}

let userCount = 0;

/** A tenant with an owner and an agent (a person, role agent), both signed in. */
export async function team(stack: TestStack, slug: string): Promise<Team> {
	userCount += 1;
	const owner = await createUser(stack.db, `ai-owner-${slug}-${userCount}@example.test`);
	const agent = await createUser(stack.db, `ai-agent-${slug}-${userCount}@example.test`);
	const [tenant] = rowsOf(
		await commitAs<{ id: string }>(stack.db, owner, 'select * from public.create_tenant($1, $2)', [
			`Team ${slug}`,
			slug
		])
	);
	const [{ token }] = rowsOf(
		await commitAs<{ token: string }>(
			stack.db,
			owner,
			'select public.invite_member($1, $2, $3) as token',
			[tenant.id, agent.email, 'agent']
		)
	);
	rowsOf(await commitAs(stack.db, agent, 'select * from public.accept_invitation($1)', [token]));
	return {
		tenantId: tenant.id,
		owner: await signedIn(stack, owner),
		agent: await signedIn(stack, agent),
		ids: { owner: owner.id!, agent: agent.id! }
	};
}

/** Connects the demo Twilio account and its first number, answered by a new AI agent. */
export async function connectNumberWithAgent(
	t: Team,
	agent: { name: string; instructions: string; model?: string }
): Promise<{ numberId: string; agentId: string }> {
	const twilio = DEMO_CREDENTIALS.twilio;
	const connected = await callFunction(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
		accountSid: twilio.accountSid,
		authToken: twilio.authToken
	});
	expect(connected.status).toBe(200);
	const { data, error } = await t.owner
		.from('ai_agents')
		.insert({ tenant_id: t.tenantId, whatsapp_enabled: true, ...agent })
		.select('id')
		.single();
	if (error) throw error;
	const number = await callFunction(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
		provider: 'twilio',
		displayName: 'Store',
		address: 'whatsapp:+15550100001',
		assignedAgentId: data.id,
		active: true
	});
	expect(number.status, JSON.stringify(number.body)).toBe(201);
	return { numberId: number.body.number.id, agentId: data.id };
}

/** A customer writes to the store's Twilio number through the sandbox (a real signed webhook). */
export async function customerWrites(
	sandbox: Sandbox,
	phone: string,
	text: string,
	profileName = 'Ana Lima'
): Promise<void> {
	const { delivery } = await sandbox.sendCustomerMessage({
		provider: 'twilio',
		to: '+15550100001',
		from: phone,
		profileName,
		text
	});
	expect(delivery.responseStatus, delivery.responseBody).toBe(200);
}

/** What the business sent to this customer, as the sandbox recorded it. */
export function sentTo(sandbox: Sandbox, phone: string): SandboxMessage[] {
	return [...sandbox.state.messages.values()].filter(
		(message) => message.direction === 'outbound' && message.customer === phone
	);
}

export interface ChatRequestBody {
	model: string;
	messages: { role: string; content: string }[];
	response_format?: {
		type: string;
		json_schema?: {
			name: string;
			strict?: boolean;
			schema: { properties: Record<string, unknown> };
		};
	};
}

/** Chat completion requests whose messages mention `marker`. */
export function completionsMentioning(sandbox: Sandbox, marker: string): ChatRequestBody[] {
	return sandbox
		.requests({ provider: 'openai', method: 'POST', path: '/v1/chat/completions' })
		.map((request) => request.body as ChatRequestBody)
		.filter((body) => JSON.stringify(body.messages).includes(marker));
}

/** The conversation of this customer, as a member reads it. */
export async function conversationOf(
	client: SupabaseClient,
	phone: string
): Promise<Record<string, unknown> & { id: string }> {
	const { data: contact, error } = await client
		.from('contacts')
		.select('id')
		.eq('wa_id', phone.replace('+', ''))
		.single();
	if (error) throw error;
	const conversation = await client
		.from('conversations')
		.select('*')
		.eq('contact_id', contact.id)
		.single();
	if (conversation.error) throw conversation.error;
	return conversation.data;
}

/** The messages of a conversation, oldest first. */
/** The chat's order: by time, and Parley's own note after a message written at the same instant. */
export function threadOrder(
	a: { created_at: string; sender: string },
	b: { created_at: string; sender: string }
): number {
	return (
		Date.parse(a.created_at) - Date.parse(b.created_at) ||
		Number(a.sender === 'system') - Number(b.sender === 'system')
	);
}

export async function messagesOf(
	client: SupabaseClient,
	conversationId: string
): Promise<
	{ sender: string; direction: string; body: string | null; status: string; type: string }[]
> {
	const { data, error } = await client
		.from('messages')
		.select('sender, direction, body, status, type, created_at')
		.eq('conversation_id', conversationId)
		.order('created_at', { ascending: true })
		.order('id', { ascending: true });
	if (error) throw error;
	return data.sort(threadOrder);
}

/** An article written in the app by `client` (an owner or admin); returns its id. */
export async function writeArticle(
	client: SupabaseClient,
	agentId: string,
	title: string,
	body: string
): Promise<string> {
	const { data, error } = await client
		.from('knowledge_sources')
		.insert({ agent_id: agentId, kind: 'article', title, body })
		.select('id')
		.single();
	if (error) throw error;
	return data.id;
}

/** Uploads a knowledge file through the knowledge function, as the agents page does. */
export async function uploadKnowledgeFile(
	client: SupabaseClient,
	agentId: string,
	file: File
): Promise<{ status: number; body: Record<string, unknown> }> {
	const form = new FormData();
	form.set('agentId', agentId);
	form.set('file', file);
	const { data, error, response } = await client.functions.invoke('knowledge/files', {
		body: form
	});
	if (error) {
		const context = (error as { context?: Response }).context;
		if (!context) throw error;
		return { status: context.status, body: JSON.parse(await context.text()) };
	}
	return { status: response?.status ?? 200, body: data };
}

/** A one-page PDF whose page shows `lines` (Helvetica, one text object), byte offsets exact. */
export function pdfWithText(lines: string[]): Uint8Array<ArrayBuffer> {
	const escape = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);
	const content = `BT /F1 12 Tf 72 720 Td 16 TL ${lines.map((line) => `(${escape(line)}) Tj T*`).join(' ')} ET`;
	const objects = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
		`<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'
	];
	let pdf = '%PDF-1.4\n';
	const offsets: number[] = [];
	objects.forEach((object, index) => {
		offsets.push(pdf.length);
		pdf += `${index + 1} 0 obj\n${object}\nendobj\n`;
	});
	const xref = pdf.length;
	pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
	pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return new TextEncoder().encode(pdf);
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedIn } from '../support/clients.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	attempt,
	broadcastsOldestFirst,
	commitAs,
	createUser,
	failure,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// The customer in view: every member of a tenant renames its contacts and keeps a note on them;
// nobody else reads or changes either; a rename survives the customer's next delivery and reaches
// the inbox on the conversations' broadcast; past conversations stay inside the contact's tenant.

let stack: TestStack;
let owner: Actor, admin: Actor, agent: Actor, outsider: Actor;
let tenantId: string, numberId: string, secondNumberId: string;
let otherTenantId: string, otherNumberId: string;

beforeAll(async () => {
	stack = await startTestStack();
	owner = await createUser(stack.db, 'contacts-owner@example.test', { display_name: 'Olga Owner' });
	admin = await createUser(stack.db, 'contacts-admin@example.test', { display_name: 'Abel Admin' });
	agent = await createUser(stack.db, 'contacts-agent@example.test', { display_name: 'Amia Agent' });
	outsider = await createUser(stack.db, 'contacts-outsider@example.test');
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'contacts', [
		[admin, 'admin'],
		[agent, 'agent']
	]));
	({ tenantId: otherTenantId, numberId: otherNumberId } = await workspaceWithTwilioNumber(
		stack.db,
		outsider,
		'contacts-other',
		[]
	));
	const { rows } = await stack.db.query<{ id: string }>(
		`insert into public.whatsapp_numbers (tenant_id, provider, display_name, address, integration_id)
		 select tenant_id, 'twilio', 'Sales', 'whatsapp:+15550999001', integration_id
		 from public.whatsapp_numbers where id = $1 returning id`,
		[numberId]
	);
	secondNumberId = rows[0].id;
});
afterAll(() => stack?.close());

let contactCount = 0;
/** A customer as ingest leaves them, with a conversation on `number` in `tenant`. */
async function customer(
	name = 'Ana Gómez',
	tenant = tenantId,
	number = numberId
): Promise<{ contactId: string; conversationId: string; waId: string }> {
	contactCount += 1;
	const waId = `1415556${String(contactCount).padStart(4, '0')}`;
	const { rows } = await stack.db.query<{ contact_id: string; id: string }>(
		`with contact as (
			insert into public.contacts (tenant_id, wa_id, profile_name) values ($1, $3, $4) returning id
		)
		insert into public.conversations (tenant_id, number_id, contact_id, last_message_preview, last_message_at)
		select $1, $2, id, 'Hello', now() from contact returning contact_id, id`,
		[tenant, number, waId, name]
	);
	return { contactId: rows[0].contact_id, conversationId: rows[0].id, waId };
}

/** Another conversation of the contact, on another number, last active `minutesAgo`. */
async function conversationOf(
	contactId: string,
	number: string,
	minutesAgo: number,
	tenant = tenantId
) {
	const { rows } = await stack.db.query<{ id: string }>(
		`insert into public.conversations (tenant_id, number_id, contact_id, status, last_message_preview, last_message_at)
		 values ($1, $2, $3, 'closed', 'Thanks, solved', now() - make_interval(mins => $4)) returning id`,
		[tenant, number, contactId, minutesAgo]
	);
	return rows[0].id;
}

const rename = (actor: Actor, contactId: string, name: string) =>
	commitAs<{ profile_name: string; whatsapp_name: string | null; renamed_by: string }>(
		stack.db,
		actor,
		'select profile_name, whatsapp_name, renamed_by from public.rename_contact($1, $2)',
		[contactId, name]
	);
const writeNote = (actor: Actor, contactId: string, note: string | null) =>
	commitAs<{ note: string | null; note_updated_by: string | null }>(
		stack.db,
		actor,
		'select note, note_updated_by from public.set_contact_note($1, $2)',
		[contactId, note]
	);

async function stored(contactId: string) {
	const { rows } = await stack.db.query<{
		profile_name: string | null;
		whatsapp_name: string | null;
		note: string | null;
	}>('select profile_name, whatsapp_name, note from public.contacts where id = $1', [contactId]);
	return rows[0];
}

describe('renaming a contact', () => {
	it('every role of the tenant renames, trimmed, and the change is recorded as theirs', async () => {
		const { contactId } = await customer('ana g');
		for (const [actor, name] of [
			[owner, '  Ana   Gómez  '],
			[admin, 'Ana Gómez (VIP)'],
			[agent, 'Ana\nGómez']
		] as const) {
			const [row] = rowsOf(await rename(actor, contactId, name));
			expect(row.renamed_by).toBe(actor.id);
		}
		expect(await stored(contactId)).toEqual({
			profile_name: 'Ana Gómez',
			whatsapp_name: 'ana g',
			note: null
		});
	});

	it('another tenant, a signed-out visitor and a missing contact are refused, and nothing changes', async () => {
		const { contactId } = await customer('Bea Ruiz');
		expect(failure(await rename(outsider, contactId, 'Stolen'))).toEqual({
			code: 'PT404',
			message:
				'This contact was not found in your workspaces. It may have been deleted or merged with another.'
		});
		expect(failure(await rename(anon, contactId, 'Stolen'))).toMatchObject({ code: '42501' });
		expect(
			failure(await rename(owner, '00000000-0000-4000-8000-000000000000', 'Nobody'))
		).toMatchObject({ code: 'PT404' });
		// Members have no direct write on contacts: the function is the only way.
		expect(
			failure(
				await attempt(
					stack.db,
					agent,
					'update public.contacts set profile_name = $2 where id = $1',
					[contactId, 'Direct']
				)
			)
		).toMatchObject({ code: '42501' });
		expect((await stored(contactId)).profile_name).toBe('Bea Ruiz');
	});

	it('a blank, overlong or control-character name is refused in a sentence', async () => {
		const { contactId } = await customer('Caro Díaz');
		expect(failure(await rename(owner, contactId, ' \n\t '))).toEqual({
			code: '22023',
			message: 'Type a name for this contact.'
		});
		expect(failure(await rename(agent, contactId, 'x'.repeat(101)))).toEqual({
			code: '22023',
			message: "A contact's name is at most 100 characters; this one has 101."
		});
		expect(failure(await rename(agent, contactId, 'Caro\u0007'))).toEqual({
			code: '22023',
			message: "A contact's name cannot hold control characters."
		});
		expect(rowsOf(await rename(agent, contactId, 'y'.repeat(100)))[0].profile_name).toHaveLength(
			100
		);
	});

	it("the team's name stays when the customer's next delivery brings their WhatsApp name", async () => {
		const { contactId, waId } = await customer('dani');
		rowsOf(await rename(agent, contactId, 'Daniela Paz'));
		const ingest = (name: string) =>
			stack.db.query('select private.customer_contact($1, $2::jsonb)', [
				tenantId,
				JSON.stringify({ wa_id: waId, profile_name: name, username: 'danipaz' })
			]);
		await ingest('Dani ✨');
		expect(await stored(contactId)).toMatchObject({
			profile_name: 'Daniela Paz',
			whatsapp_name: 'Dani ✨'
		});
		const { rows } = await stack.db.query<{ username: string }>(
			'select username from public.contacts where id = $1',
			[contactId]
		);
		expect(rows[0].username).toBe('danipaz');
	});

	it('a rename reaches the inbox: each of the contact’s conversations is broadcast with the new name', async () => {
		const { contactId, conversationId } = await customer('eli');
		const other = await conversationOf(contactId, secondNumberId, 90);
		rowsOf(await rename(admin, contactId, 'Elías Mora'));
		const { rows } = await stack.db.query<{ id: string; name: string }>(
			`select payload -> 'record' ->> 'id' as id, payload -> 'record' ->> 'contact_name' as name
			 from realtime.messages
			 where topic = $1 and event = 'conversations' and payload -> 'record' ->> 'contact_id' = $2`,
			[`tenant:${tenantId}`, contactId]
		);
		expect(
			rows
				.filter((row) => row.name === 'Elías Mora')
				.map((row) => row.id)
				.sort()
		).toEqual([conversationId, other].sort());
		const contactEvents = await stack.db.query<{ name: string }>(
			`select payload -> 'record' ->> 'profile_name' as name from realtime.messages
			 where topic = $1 and event = 'contacts' and payload -> 'record' ->> 'id' = $2`,
			[`tenant:${tenantId}`, contactId]
		);
		expect(contactEvents.rows.map((row) => row.name)).toEqual(['Elías Mora']);
	});

	it('a NUL in a name sent through the API is refused and the name stays', async () => {
		const { contactId } = await customer('Fer Luna');
		const client = await signedIn(stack, agent);
		const { error } = await client.rpc('rename_contact', {
			contact_id: contactId,
			name: 'Fer\u0000Luna'
		});
		// Postgres text holds no NUL: the API refuses it before the function runs (the app says why).
		expect(error?.code).toBe('22P05');
		expect((await stored(contactId)).profile_name).toBe('Fer Luna');
	});
});

describe('the contact note', () => {
	it('every role writes, trims and clears it; members of the tenant read it', async () => {
		const { contactId } = await customer('Gala Soto');
		expect(rowsOf(await writeNote(agent, contactId, '  Prefers mornings.\n'))[0]).toEqual({
			note: 'Prefers mornings.',
			note_updated_by: agent.id
		});
		expect(rowsOf(await writeNote(admin, contactId, 'Prefers mornings. VIP.'))[0].note).toBe(
			'Prefers mornings. VIP.'
		);
		const read = await attempt<{ note: string }>(
			stack.db,
			agent,
			'select note from public.contacts where id = $1',
			[contactId]
		);
		expect(rowsOf(read)).toEqual([{ note: 'Prefers mornings. VIP.' }]);
		expect(rowsOf(await writeNote(owner, contactId, '   '))[0].note).toBeNull();
		// Each saved version went to the tenant's topic for open panels; an unchanged save sends nothing.
		rowsOf(await writeNote(owner, contactId, ''));
		const { rows } = await stack.db.query<{ note: string | null }>(
			`select payload -> 'record' ->> 'note' as note from realtime.messages
			 where topic = $1 and event = 'contacts' and payload -> 'record' ->> 'id' = $2
			 order by ${broadcastsOldestFirst}`,
			[`tenant:${tenantId}`, contactId]
		);
		expect(rows.map((row) => row.note)).toEqual([
			'Prefers mornings.',
			'Prefers mornings. VIP.',
			null
		]);
	});

	it('another tenant neither reads nor writes it', async () => {
		const { contactId } = await customer('Hugo Vela');
		rowsOf(await writeNote(owner, contactId, 'Owes us an invoice.'));
		const read = await attempt(
			stack.db,
			outsider,
			'select note from public.contacts where id = $1',
			[contactId]
		);
		expect(rowsOf(read)).toEqual([]);
		expect(failure(await writeNote(outsider, contactId, 'Mine now'))).toMatchObject({
			code: 'PT404'
		});
		expect((await stored(contactId)).note).toBe('Owes us an invoice.');
	});

	it('an overlong note is refused in a sentence and the saved one stays', async () => {
		const { contactId } = await customer('Iris Paz');
		rowsOf(await writeNote(agent, contactId, 'Short note.'));
		expect(failure(await writeNote(agent, contactId, 'n'.repeat(5001)))).toEqual({
			code: '22023',
			message:
				'A contact note is at most 5,000 characters; this one has 5,001. Shorten it and save again.'
		});
		expect((await stored(contactId)).note).toBe('Short note.');
		expect(rowsOf(await writeNote(agent, contactId, 'n'.repeat(5000)))[0].note).toHaveLength(5000);
	});

	it('a wrong type for the contact is refused', async () => {
		expect(failure(await writeNote(agent, 'not-a-uuid', 'Note'))).toMatchObject({ code: '22P02' });
	});
});

describe('past conversations', () => {
	const past = (actor: Actor, contactId: string, exceptId: string | null) =>
		attempt<{ id: string; number_name: string; status: string }>(
			stack.db,
			actor,
			'select id, number_name, status from public.contact_conversations($1, $2)',
			[contactId, exceptId]
		);

	it("are the contact's other conversations in its tenant, newest first", async () => {
		const { contactId, conversationId } = await customer('Jon Ríos');
		const { rows } = await stack.db.query<{ id: string }>(
			`insert into public.whatsapp_numbers (tenant_id, provider, display_name, address, integration_id)
			 select tenant_id, 'twilio', 'Billing', 'whatsapp:+15550999002', integration_id
			 from public.whatsapp_numbers where id = $1 returning id`,
			[numberId]
		);
		const older = await conversationOf(contactId, rows[0].id, 600);
		const newer = await conversationOf(contactId, secondNumberId, 60);
		// Another customer's conversation on the same number is not theirs.
		await customer('Someone Else', tenantId, secondNumberId);
		for (const actor of [owner, admin, agent]) {
			expect(rowsOf(await past(actor, contactId, conversationId))).toEqual([
				{ id: newer, number_name: 'Sales', status: 'closed' },
				{ id: older, number_name: 'Billing', status: 'closed' }
			]);
		}
		expect(rowsOf(await past(agent, contactId, null)).map((row) => row.id)).toEqual([
			conversationId,
			newer,
			older
		]);
	});

	it('never include another tenant’s conversations, nor show them to another tenant', async () => {
		const { contactId, conversationId } = await customer('Kim Lara');
		// A conversation elsewhere pointing at this contact (only a service could write it).
		const foreign = await conversationOf(contactId, otherNumberId, 5, otherTenantId);
		expect(rowsOf(await past(owner, contactId, conversationId))).toEqual([]);
		expect(rowsOf(await past(outsider, contactId, null))).toEqual([]);
		expect(foreign).toBeTruthy();
	});
});

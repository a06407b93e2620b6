import { fail } from '@sveltejs/kit';
import { canManageMembers } from '$lib/members/roles';
import { callFunction } from '$lib/whatsapp/functions';
import { filtersFromSearchParams, loadRecentConversations } from '$lib/inbox/conversations';
import {
	NUMBER_FIELDS,
	connectNumberSchema,
	connectRequestBody,
	echoValues,
	editNumberSchema,
	editRequestBody,
	functionErrorFields,
	readForm
} from '$lib/whatsapp/forms';
import type { ParleyClient } from '$lib/supabase/types';
import { NUMBER_ROW_COLUMNS, numberViewFromRow } from '$lib/whatsapp/numbers';
import type { ItemFailureSummary, NumberView, TwilioIntegration } from '$lib/whatsapp/types';
import { managedTenant } from '$lib/members/acting-membership.server';
import type { Actions, PageServerLoad } from './$types';

/** Numbers with their webhook settings and masked secrets, from the function (owners and admins). */
async function managedNumbers(supabase: ParleyClient, tenantId: string) {
	const result = await callFunction<{ numbers: NumberView[] }>(
		supabase,
		`whatsapp-numbers/${tenantId}`
	);
	return result.ok
		? { numbers: result.data.numbers, error: null }
		: { numbers: [], error: result.error.message };
}

/** Numbers as every member reads them through RLS: no secrets, no webhook settings. */
async function memberNumbers(supabase: ParleyClient, tenantId: string) {
	const { data, error: readError } = await supabase
		.from('whatsapp_numbers')
		.select(NUMBER_ROW_COLUMNS)
		.eq('tenant_id', tenantId)
		.order('created_at');
	if (readError) console.error(readError);
	return {
		// The column's check constraint allows only these providers; the types say `text`.
		numbers: (data ?? []).flatMap((row) =>
			row.provider === 'twilio' || row.provider === 'meta'
				? [numberViewFromRow({ ...row, provider: row.provider })]
				: []
		),
		error: readError ? 'The numbers could not be loaded. Reload the page to try again.' : null
	};
}

/** How far back a number card reports what its deliveries could not store. */
const FAILURE_WINDOW_DAYS = 7;

/**
 * Items of recent deliveries the database could not store (an unreadable sender, a malformed
 * item), per number: how many and the latest reason. RLS shows them to owners and admins only.
 */
async function recentItemFailures(
	supabase: ParleyClient,
	tenantId: string
): Promise<Record<string, ItemFailureSummary>> {
	const since = new Date(Date.now() - FAILURE_WINDOW_DAYS * 86_400_000).toISOString();
	const { data, error } = await supabase
		.from('webhook_item_failures')
		.select('number_id, reason, created_at')
		.eq('tenant_id', tenantId)
		.gte('created_at', since)
		.order('created_at', { ascending: false })
		.limit(200);
	if (error) console.error(error);
	const byNumber: Record<string, ItemFailureSummary> = {};
	for (const row of data ?? []) {
		if (!row.number_id) continue;
		const summary = (byNumber[row.number_id] ??= {
			count: 0,
			latestReason: row.reason,
			latestAt: row.created_at,
			days: FAILURE_WINDOW_DAYS
		});
		summary.count += 1;
	}
	return byNumber;
}

export const load: PageServerLoad = async ({ locals, parent, depends, url }) => {
	depends('app:whatsapp-numbers');
	const { tenant, role } = await parent();
	const manager = canManageMembers(role);
	const [numbers, agents, twilio, inbox, itemFailures] = await Promise.all([
		manager
			? managedNumbers(locals.supabase, tenant.id)
			: memberNumbers(locals.supabase, tenant.id),
		locals.supabase
			.from('ai_agents')
			.select('id, name, instructions, model, active, whatsapp_enabled, updated_at')
			.eq('tenant_id', tenant.id)
			.order('name'),
		// Only owners and admins may read the integration; agents never open the connect form.
		manager
			? callFunction<{ integration: TwilioIntegration | null }>(
					locals.supabase,
					`twilio-integration/${tenant.id}`
				)
			: Promise.resolve(null),
		loadRecentConversations(locals.supabase, tenant.id, filtersFromSearchParams(url.searchParams)),
		manager
			? recentItemFailures(locals.supabase, tenant.id)
			: Promise.resolve<Record<string, ItemFailureSummary>>({})
	]);
	if (agents.error) console.error(agents.error);
	const integration = twilio?.ok ? twilio.data.integration : null;
	return {
		title: 'WhatsApp',
		numbers: numbers.numbers,
		loadError: numbers.error,
		agents: agents.data ?? [],
		twilio: integration
			? {
					status: integration.status,
					accountName: integration.accountName,
					lastError: integration.lastError
				}
			: null,
		inbox,
		itemFailures,
		now: Date.now()
	};
};

/** The number's id from a card's form, or a refusal. */
function numberIdOf(formData: FormData): string | null {
	const id = formData.get('numberId');
	return typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id) ? id : null;
}

const GONE = 'That number is no longer connected. Reload the page to see the current list.';

export const actions: Actions = {
	connect: async (event) => {
		const formData = await event.request.formData();
		const values = echoValues(formData, NUMBER_FIELDS);
		const parsed = readForm(connectNumberSchema, formData, NUMBER_FIELDS);
		if (!parsed.ok) return fail(400, { action: 'connect', values, errors: parsed.errors });
		const tenant = await managedTenant(
			event,
			'Only owners and admins can manage WhatsApp numbers.'
		);
		const result = await callFunction<{ number: NumberView }>(
			event.locals.supabase,
			`whatsapp-numbers/${tenant.id}`,
			'POST',
			connectRequestBody(parsed.data)
		);
		if (!result.ok) {
			const { errors, message } = functionErrorFields(result.error, NUMBER_FIELDS);
			// A picked number that is taken is about the dropdown, not the manual field.
			if (errors.manualAddress && parsed.data.provider === 'twilio') {
				if (parsed.data.addressMode === 'list') {
					errors.address = errors.manualAddress;
					delete errors.manualAddress;
				}
			}
			if (result.error.code === 'number_already_connected') {
				const field =
					parsed.data.provider === 'meta'
						? 'phoneNumberId'
						: parsed.data.addressMode === 'manual'
							? 'manualAddress'
							: 'address';
				return fail(result.status, {
					action: 'connect',
					values,
					errors: { [field]: result.error.message },
					message: null
				});
			}
			return fail(result.status, {
				action: 'connect',
				values,
				errors,
				message,
				code: result.error.code
			});
		}
		return {
			action: 'connect',
			message: `${result.data.number.displayName} is connected.`,
			numberId: result.data.number.id
		};
	},

	update: async (event) => {
		const formData = await event.request.formData();
		const values = echoValues(formData, NUMBER_FIELDS);
		const parsed = readForm(editNumberSchema, formData, NUMBER_FIELDS);
		if (!parsed.ok) return fail(400, { action: 'update', values, errors: parsed.errors });
		const provider = formData.get('provider') === 'meta' ? 'meta' : 'twilio';
		const tenant = await managedTenant(
			event,
			'Only owners and admins can manage WhatsApp numbers.'
		);
		const result = await callFunction<{ number: NumberView }>(
			event.locals.supabase,
			`whatsapp-numbers/${tenant.id}/${parsed.data.numberId}`,
			'PATCH',
			editRequestBody(parsed.data, provider)
		);
		if (!result.ok) {
			const { errors, message } = functionErrorFields(result.error, NUMBER_FIELDS);
			return fail(result.status, { action: 'update', values, errors, message });
		}
		return { action: 'update', message: `${result.data.number.displayName} is saved.` };
	},

	toggle: async (event) => {
		const formData = await event.request.formData();
		const numberId = numberIdOf(formData);
		if (!numberId) return fail(400, { action: 'toggle', message: GONE });
		const active = formData.get('active') === 'true';
		const tenant = await managedTenant(
			event,
			'Only owners and admins can manage WhatsApp numbers.'
		);
		const result = await callFunction<{ number: NumberView }>(
			event.locals.supabase,
			`whatsapp-numbers/${tenant.id}/${numberId}`,
			'PATCH',
			{ active }
		);
		if (!result.ok)
			return fail(result.status, { action: 'toggle', numberId, message: result.error.message });
		const name = result.data.number.displayName;
		return {
			action: 'toggle',
			numberId,
			message: active ? `${name} is active and answering.` : `${name} is inactive.`
		};
	},

	delete: async (event) => {
		const formData = await event.request.formData();
		const numberId = numberIdOf(formData);
		if (!numberId) return fail(400, { action: 'delete', message: GONE });
		const tenant = await managedTenant(
			event,
			'Only owners and admins can manage WhatsApp numbers.'
		);
		const result = await callFunction(
			event.locals.supabase,
			`whatsapp-numbers/${tenant.id}/${numberId}`,
			'DELETE'
		);
		if (!result.ok)
			return fail(result.status, { action: 'delete', numberId, message: result.error.message });
		const name = String(formData.get('displayName') ?? 'The number');
		return { action: 'delete', message: `${name} is deleted, with its conversations.` };
	}
};

import { error, fail } from '@sveltejs/kit';
import { canManageMembers } from '$lib/members/roles';
import { callFunction } from '$lib/whatsapp/functions';
import { functionErrorFields, readForm, twilioIntegrationSchema } from '$lib/whatsapp/forms';
import type { TwilioIntegration } from '$lib/whatsapp/types';
import { managedTenant } from '$lib/members/acting-membership.server';
import { offeredSandboxTwilio } from '$lib/integrations/sandbox-demo.server';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS_ONLY = 'Only owners and admins can manage integrations.';

export const load: PageServerLoad = async ({ locals, parent }) => {
	const { role, tenant } = await parent();
	if (!canManageMembers(role)) error(403, MANAGERS_ONLY);
	const result = await callFunction<{ integration: TwilioIntegration | null }>(
		locals.supabase,
		`twilio-integration/${tenant.id}`
	);
	return {
		title: 'Integrations',
		twilio: result.ok ? result.data.integration : null,
		loadError: result.ok ? null : result.error.message,
		// Development over the local sandbox only; null (and no values) anywhere else.
		sandboxTwilio: offeredSandboxTwilio(locals.supabaseConfig)
	};
};

export const actions: Actions = {
	connectTwilio: async (event) => {
		const formData = await event.request.formData();
		const fields = ['accountSid', 'authToken'];
		const values = { accountSid: String(formData.get('accountSid') ?? '') };
		const parsed = readForm(twilioIntegrationSchema, formData, fields);
		if (!parsed.ok) return fail(400, { action: 'connectTwilio', values, errors: parsed.errors });
		const tenant = await managedTenant(event, MANAGERS_ONLY);
		const result = await callFunction<{ integration: TwilioIntegration }>(
			event.locals.supabase,
			`twilio-integration/${tenant.id}`,
			'POST',
			{ accountSid: parsed.data.accountSid, authToken: parsed.data.authToken || undefined }
		);
		if (!result.ok) {
			const { errors, message } = functionErrorFields(result.error, fields);
			// A blank token that could not be re-checked belongs beside the token field.
			if (result.error.code === 'invalid_request' && !parsed.data.authToken && message) {
				return fail(result.status, {
					action: 'connectTwilio',
					values,
					errors: { authToken: message },
					message: null
				});
			}
			return fail(result.status, { action: 'connectTwilio', values, errors, message });
		}
		const name = result.data.integration.accountName;
		return {
			action: 'connectTwilio',
			message: name ? `Twilio is connected: ${name}.` : 'Twilio is connected.'
		};
	},

	disconnectTwilio: async (event) => {
		const tenant = await managedTenant(event, MANAGERS_ONLY);
		const result = await callFunction<{ disconnected: boolean }>(
			event.locals.supabase,
			`twilio-integration/${tenant.id}`,
			'DELETE'
		);
		if (!result.ok)
			return fail(result.status, { action: 'disconnectTwilio', message: result.error.message });
		return {
			action: 'disconnectTwilio',
			message: 'Twilio is disconnected. Its stored credentials were deleted.'
		};
	}
};

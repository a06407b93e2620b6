import { z } from 'zod';
import type { ParleyClient } from '$lib/supabase/types';
import { numberSubtitle } from '$lib/whatsapp/numbers';

/** A number as the Assignment section lists it. */
export interface AssignmentNumber {
	id: string;
	name: string;
	/** Its WhatsApp address, or Meta's phone number id. */
	subtitle: string;
	roundRobin: boolean;
	/** An AI agent answers its new conversations, so round robin leaves them to the AI. */
	aiAnswers: boolean;
}

/** The workspace's numbers with their round-robin switch, and who has marked themselves away. */
export interface AssignmentSettings {
	numbers: AssignmentNumber[];
	awayUserIds: string[];
}

const numberRows = z.array(
	z.object({
		id: z.uuid(),
		display_name: z.string(),
		address: z.string().nullable(),
		phone_number_id: z.string().nullable(),
		active: z.boolean()
	})
);
const settingRows = z.array(z.object({ number_id: z.uuid(), enabled: z.boolean() }));
const availabilityRows = z.array(z.object({ user_id: z.uuid(), available: z.boolean() }));

/** Reads the section's data through RLS: three small reads of the workspace's own rows, at once. */
export async function loadAssignmentSettings(
	supabase: ParleyClient,
	tenantId: string
): Promise<AssignmentSettings> {
	const [numbers, settings, availability] = await Promise.all([
		supabase
			.from('whatsapp_numbers')
			.select('id, display_name, address, phone_number_id, active')
			.eq('tenant_id', tenantId)
			.order('created_at'),
		supabase.from('number_round_robin').select('number_id, enabled').eq('tenant_id', tenantId),
		supabase.from('member_availability').select('user_id, available').eq('tenant_id', tenantId)
	]);
	const failed = numbers.error ?? settings.error ?? availability.error;
	if (failed) throw new Error(`Could not read the assignment settings: ${failed.message}`);
	const enabled = new Set(
		settingRows
			.parse(settings.data)
			.filter((row) => row.enabled)
			.map((row) => row.number_id)
	);
	return {
		numbers: numberRows.parse(numbers.data).map((row) => ({
			id: row.id,
			name: row.display_name,
			subtitle: numberSubtitle({ address: row.address, phoneNumberId: row.phone_number_id }),
			roundRobin: enabled.has(row.id),
			aiAnswers: row.active
		})),
		awayUserIds: availabilityRows
			.parse(availability.data)
			.filter((row) => !row.available)
			.map((row) => row.user_id)
	};
}

import { z } from 'zod';

const availabilityRecord = z.object({ user_id: z.uuid(), available: z.boolean() });
const availabilityChangeSchema = z.object({
	operation: z.enum(['INSERT', 'UPDATE', 'DELETE']),
	record: availabilityRecord.nullable(),
	old_record: availabilityRecord.nullable()
});

/**
 * A `member_availability` broadcast as who is now available or away; a removed row means
 * available again (no row is the default). Null for anything else.
 */
export function availabilityChange(
	payload: unknown
): { userId: string; available: boolean } | null {
	const change = availabilityChangeSchema.safeParse(payload);
	if (!change.success) return null;
	const { record, old_record: old } = change.data;
	if (record) return { userId: record.user_id, available: record.available };
	if (old) return { userId: old.user_id, available: true };
	return null;
}

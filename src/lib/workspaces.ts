import type { ParleyClient } from '$lib/supabase/types';
import { z } from 'zod';

/** A workspace the signed-in person belongs to, and their role in it. */
export interface MyWorkspace {
	name: string;
	slug: string;
	role: 'owner' | 'admin' | 'agent';
}

const membershipRows = z.array(
	z.object({
		role: z.enum(['owner', 'admin', 'agent']),
		tenant: z.object({ name: z.string(), slug: z.string() }).nullable()
	})
);

/** Lists the person's workspaces through RLS (memberships they can see), oldest membership first. */
export async function listMyWorkspaces(
	supabase: ParleyClient,
	userId: string
): Promise<MyWorkspace[]> {
	const { data, error } = await supabase
		.from('memberships')
		.select('role, tenant:tenants(name, slug)')
		.eq('user_id', userId)
		.order('created_at');
	if (error) throw new Error(`Could not list workspaces: ${error.message}`);
	return membershipRows
		.parse(data)
		.flatMap(({ role, tenant }) =>
			tenant ? [{ name: tenant.name, slug: tenant.slug, role }] : []
		);
}

/** The `/app` query (`/app?choose`) that keeps the workspace chooser open for someone with one. */
export const CHOOSE_PARAM = 'choose';

/**
 * Where `/app` takes someone straight away: into their only workspace's inbox, as sign-in should;
 * null when they have none or several, or asked for the chooser (to create another workspace).
 */
export function soleWorkspacePath(workspaces: MyWorkspace[], url: URL): string | null {
	if (workspaces.length !== 1 || url.searchParams.has(CHOOSE_PARAM)) return null;
	return `/app/${workspaces[0].slug}/whatsapp`;
}

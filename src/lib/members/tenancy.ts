import type { ParleyClient } from '$lib/supabase/types';
import { z } from 'zod';
import { ROLES, type Role } from './roles.ts';

/** The workspace a page is about and the signed-in person's role in it. */
export interface TenantMembership {
	tenant: { id: string; name: string; slug: string };
	role: Role;
}

/**
 * Reads the person's membership of the workspace at `slug`, through RLS: a workspace they do not
 * belong to is invisible, exactly like one that does not exist (both give null).
 */
export async function loadTenantMembership(
	supabase: ParleyClient,
	slug: string,
	userId: string
): Promise<TenantMembership | null> {
	const { data, error } = await supabase
		.from('memberships')
		.select('role, tenant:tenants!inner(id, name, slug)')
		.eq('user_id', userId)
		.eq('tenant.slug', slug)
		.maybeSingle();
	if (error) throw new Error(`Could not read the membership: ${error.message}`);
	if (!data) return null;
	const row = membershipRow.parse(data);
	return { tenant: row.tenant, role: row.role };
}

const membershipRow = z.object({
	role: z.enum(ROLES),
	tenant: z.object({ id: z.uuid(), name: z.string(), slug: z.string() })
});

/** One person on the members page. */
export interface Member {
	userId: string;
	displayName: string;
	initials: string;
	email: string;
	role: Role;
	joinedAt: string;
}

/** A sent invitation nobody has accepted yet. */
export interface PendingInvitation {
	id: string;
	email: string;
	role: Role;
	createdAt: string;
	expiresAt: string;
	invitedByName: string | null;
}

const memberRows = z.array(
	z.object({ user_id: z.uuid(), role: z.enum(ROLES), created_at: z.string() })
);
const profileRows = z.array(
	z.object({
		id: z.uuid(),
		display_name: z.string(),
		avatar_initials: z.string(),
		email: z.string()
	})
);
const invitationRows = z.array(
	z.object({
		id: z.uuid(),
		email: z.string(),
		role: z.enum(ROLES),
		created_at: z.string(),
		expires_at: z.string(),
		invited_by: z.uuid().nullable()
	})
);

/** Lists a workspace's members with their names and emails, owners first, then by name. */
export async function listMembers(supabase: ParleyClient, tenantId: string): Promise<Member[]> {
	const { data, error } = await supabase
		.from('memberships')
		.select('user_id, role, created_at')
		.eq('tenant_id', tenantId);
	if (error) throw new Error(`Could not list members: ${error.message}`);
	const memberships = memberRows.parse(data);
	const profiles = await profilesById(
		supabase,
		memberships.map((m) => m.user_id)
	);
	return memberships
		.map((m) => {
			const profile = profiles.get(m.user_id);
			return {
				userId: m.user_id,
				displayName: profile?.display_name ?? 'Former member',
				initials: profile?.avatar_initials ?? '?',
				email: profile?.email ?? '',
				role: m.role,
				joinedAt: m.created_at
			};
		})
		.sort(
			(a, b) =>
				ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || a.displayName.localeCompare(b.displayName)
		);
}

/** Lists a workspace's unaccepted invitations, newest first (owners and admins only, by RLS). */
export async function listPendingInvitations(
	supabase: ParleyClient,
	tenantId: string
): Promise<PendingInvitation[]> {
	const { data, error } = await supabase
		.from('invitations')
		.select('id, email, role, created_at, expires_at, invited_by')
		.eq('tenant_id', tenantId)
		.is('accepted_at', null)
		.order('created_at', { ascending: false });
	if (error) throw new Error(`Could not list invitations: ${error.message}`);
	const invitations = invitationRows.parse(data);
	const inviters = await profilesById(
		supabase,
		invitations.flatMap((i) => (i.invited_by ? [i.invited_by] : []))
	);
	return invitations.map((i) => ({
		id: i.id,
		email: i.email,
		role: i.role,
		createdAt: i.created_at,
		expiresAt: i.expires_at,
		invitedByName: (i.invited_by && inviters.get(i.invited_by)?.display_name) || null
	}));
}

async function profilesById(supabase: ParleyClient, ids: string[]) {
	const unique = [...new Set(ids)];
	if (unique.length === 0) return new Map<string, z.output<typeof profileRows>[number]>();
	const { data, error } = await supabase
		.from('profiles')
		.select('id, display_name, avatar_initials, email')
		.in('id', unique);
	if (error) throw new Error(`Could not read profiles: ${error.message}`);
	return new Map(profileRows.parse(data).map((p) => [p.id, p]));
}

/** What the invitation page shows about an invitation, before anyone accepts it. */
export interface InvitationPreview {
	tenantName: string;
	tenantSlug: string;
	email: string;
	role: Role;
	invitedByName: string | null;
	accepted: boolean;
	expired: boolean;
}

const previewRows = z.array(
	z.object({
		tenant_name: z.string(),
		tenant_slug: z.string(),
		email: z.string(),
		role: z.enum(ROLES),
		invited_by_name: z.string().nullable(),
		accepted: z.boolean(),
		expired: z.boolean()
	})
);

/** Looks an invitation up by its token (signed in or not); null when the token matches none. */
export async function previewInvitation(
	supabase: ParleyClient,
	token: string
): Promise<InvitationPreview | null> {
	const { data, error } = await supabase.rpc('invitation_preview', { token });
	if (error) throw new Error(`Could not read the invitation: ${error.message}`);
	const [row] = previewRows.parse(data);
	if (!row) return null;
	return {
		tenantName: row.tenant_name,
		tenantSlug: row.tenant_slug,
		email: row.email,
		role: row.role,
		invitedByName: row.invited_by_name,
		accepted: row.accepted,
		expired: row.expired
	};
}

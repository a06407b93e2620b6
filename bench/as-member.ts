/** What the database benches share: running work as a signed-in member, and walking a plan. */
import type { Db, Tx } from '../supabase/local/db.ts';

/** Runs `work` in a transaction as the authenticated role with this user's claims, as REST does. */
export async function asMember<T>(
	db: Db,
	userId: string,
	work: (tx: Tx) => Promise<T>
): Promise<T> {
	return db.transaction(async (tx) => {
		await tx.query(
			`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
			[JSON.stringify({ sub: userId, role: 'authenticated', aud: 'authenticated' })]
		);
		return work(tx);
	});
}

export interface PlanNode {
	'Node Type': string;
	'Index Name'?: string;
	'Relation Name'?: string;
	Plans?: PlanNode[];
}

export function walkPlan(node: PlanNode, visit: (node: PlanNode) => void): void {
	visit(node);
	for (const child of node.Plans ?? []) walkPlan(child, visit);
}

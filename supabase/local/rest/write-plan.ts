import { RestError } from './errors.ts';
import { whereConditions, type Scope } from './filter-sql.ts';
import type { Relation } from './model.ts';
import { column, ident, type PlanContext } from './sql.ts';

/** Root-level WHERE conditions for an UPDATE or DELETE on `relation`. */
function planMutationWhere(ctx: PlanContext, relation: Relation, alias: string): string[] {
	const scope: Scope = { relation, alias, path: [], embeds: new Map() };
	return whereConditions(ctx, scope);
}

/** The columns a write names: `columns=` if given, else the body's keys (all rows must agree). */
export function payloadColumns(
	relation: Relation,
	rows: Record<string, unknown>[],
	listed: string[] | undefined
): string[] {
	let names: string[];
	if (listed) names = listed;
	else {
		names = Object.keys(rows[0] ?? {});
		const signature = [...names].sort().join('\u0000');
		if (rows.some((row) => Object.keys(row).sort().join('\u0000') !== signature)) {
			throw new RestError(400, 'PGRST102', 'All object keys must match', null, null);
		}
	}
	for (const name of names) {
		if (!relation.columns.has(name)) {
			throw new RestError(
				400,
				'PGRST204',
				`Could not find the '${name}' column of '${relation.name}' in the schema cache`,
				null,
				null
			);
		}
	}
	return names;
}

/** INSERT (or upsert) of the body's rows, without RETURNING; values come from one JSON parameter. */
export function planInsert(
	ctx: PlanContext,
	relation: Relation,
	alias: string,
	rows: Record<string, unknown>[],
	names: string[],
	options: {
		missingDefault: boolean;
		resolution?: 'merge-duplicates' | 'ignore-duplicates';
		onConflict?: string[];
	}
): string {
	const table = `${ident(relation.schema)}.${ident(relation.name)}`;
	const payload = ctx.params.bind(JSON.stringify(rows), 'json');
	const tuples = rows.map((row, index) => {
		const record = `json_populate_record(null::${table}, ${payload} -> ${index})`;
		return `(${names.map((name) => (options.missingDefault && !(name in row) ? 'default' : `(${record}).${ident(name)}`)).join(', ')})`;
	});
	let sql = `insert into ${table} as ${ident(alias)} (${names.map(ident).join(', ')}) `;
	sql += names.length ? `values ${tuples.join(', ')}` : 'default values';
	if (options.resolution) {
		const target = options.onConflict ?? relation.primaryKey;
		if (!target.length)
			throw new RestError(
				400,
				'PGRST000',
				`An upsert on '${relation.name}' needs on_conflict: the table has no primary key.`
			);
		for (const name of target) column(relation, name);
		const updates = names.map((name) => `${ident(name)} = excluded.${ident(name)}`);
		sql += ` on conflict (${target.map(ident).join(', ')}) do `;
		sql +=
			options.resolution === 'merge-duplicates' && updates.length
				? `update set ${updates.join(', ')}`
				: 'nothing';
	}
	return sql;
}

/** UPDATE of the filtered rows with the body's values. */
export function planUpdate(
	ctx: PlanContext,
	relation: Relation,
	alias: string,
	body: Record<string, unknown>,
	names: string[]
): string {
	const table = `${ident(relation.schema)}.${ident(relation.name)}`;
	const payload = ctx.params.bind(JSON.stringify(body), 'json');
	const record = `json_populate_record(null::${table}, ${payload})`;
	const sets = names.map((name) => `${ident(name)} = (${record}).${ident(name)}`);
	const where = requireWhere(planMutationWhere(ctx, relation, alias), 'UPDATE');
	return `update ${table} as ${ident(alias)} set ${sets.join(', ')} where ${where}`;
}

/** DELETE of the filtered rows. */
export function planDelete(ctx: PlanContext, relation: Relation, alias: string): string {
	const table = `${ident(relation.schema)}.${ident(relation.name)}`;
	const where = requireWhere(planMutationWhere(ctx, relation, alias), 'DELETE');
	return `delete from ${table} as ${ident(alias)} where ${where}`;
}

function requireWhere(conditions: string[], command: 'UPDATE' | 'DELETE'): string {
	// Supabase preloads pg-safeupdate, which refuses unfiltered updates and deletes.
	if (!conditions.length)
		throw new RestError(400, '21000', `${command} requires a WHERE clause`, null, null);
	return conditions.join(' and ');
}

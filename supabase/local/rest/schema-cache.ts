import type { Tx } from '../db.ts';
import {
	qualifiedKey,
	type ComputedField,
	type ForeignKey,
	type Relation,
	type Routine,
	type SchemaCache
} from './model.ts';
import { inferViewRelationships } from './view-sources.ts';

interface RelationRow {
	schema: string;
	name: string;
	kind: string;
	columns: { name: string; type: string }[];
}

interface ConstraintRow {
	schema: string;
	table: string;
	name: string;
	type: 'p' | 'u' | 'f';
	columns: string[];
	ref_schema: string | null;
	ref_table: string | null;
	ref_columns: string[] | null;
}

interface RoutineRow {
	schema: string;
	name: string;
	volatility: 'i' | 's' | 'v';
	returns_set: boolean;
	return_type: string;
	return_typtype: string;
	return_columns: { name: string; type: string }[] | null;
	return_relation_schema: string | null;
	return_relation_name: string | null;
	args: { name: string; type: string; mode: string }[];
	default_count: number;
	/** The relation whose row type the only input parameter is (a computed field's table). */
	arg_relation: { schema: string; name: string } | null;
}

const relationsSql = `
select n.nspname as schema, c.relname as name, c.relkind::text as kind,
	coalesce((
		select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) order by a.attnum)
		from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
	), '[]') as columns
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any($1::text[]) and c.relkind in ('r', 'p', 'v', 'm', 'f')`;

const constraintsSql = `
select n.nspname as schema, c.relname as "table", con.conname as name, con.contype::text as type,
	(select json_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality k(attnum, ord)
		join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum) as columns,
	fn.nspname as ref_schema, fc.relname as ref_table,
	(select json_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality k(attnum, ord)
		join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum) as ref_columns
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_class fc on fc.oid = con.confrelid
left join pg_namespace fn on fn.oid = fc.relnamespace
where con.contype in ('p', 'u', 'f') and n.nspname not in ('pg_catalog', 'information_schema')
order by con.conname`;

const routinesSql = `
select n.nspname as schema, p.proname as name, p.provolatile::text as volatility, p.proretset as returns_set,
	format_type(p.prorettype, null) as return_type, t.typtype::text as return_typtype,
	(select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) order by a.attnum)
		from pg_attribute a where t.typrelid <> 0 and a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped) as return_columns,
	rn.nspname as return_relation_schema, rc.relname as return_relation_name,
	coalesce((
		select json_agg(json_build_object('name', coalesce(p.proargnames[k.ord], ''), 'type', format_type(k.typ, null),
			'mode', coalesce(p.proargmodes[k.ord]::text, 'i')) order by k.ord)
		from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality k(typ, ord)
	), '[]') as args,
	p.pronargdefaults::int as default_count,
	(select json_build_object('schema', an.nspname, 'name', ac.relname)
		from pg_type at join pg_class ac on ac.oid = at.typrelid join pg_namespace an on an.oid = ac.relnamespace
		where p.pronargs = 1 and at.oid = p.proargtypes[0]) as arg_relation
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type t on t.oid = p.prorettype
left join pg_class rc on rc.oid = t.typrelid and rc.relkind in ('r', 'p', 'v', 'm', 'f')
left join pg_namespace rn on rn.oid = rc.relnamespace
where n.nspname = any($1::text[]) and p.prokind = 'f'`;

const rolesSql = `select r.rolname as name from pg_roles r where pg_has_role('authenticator', r.oid, 'member') and r.rolname <> 'authenticator'`;

/** Reads tables, views, columns, keys, foreign keys and functions of the served `schemas`. */
export async function loadSchemaCache(db: Tx, schemas: string[]): Promise<SchemaCache> {
	const [relationRows, constraintRows, routineRows, roleRows] = await Promise.all([
		db.query<RelationRow>(relationsSql, [schemas]),
		db.query<ConstraintRow>(constraintsSql),
		db.query<RoutineRow>(routinesSql, [schemas]),
		db.query<{ name: string }>(rolesSql)
	]);

	const relations = new Map<string, Relation>();
	for (const row of relationRows.rows) {
		relations.set(qualifiedKey(row.schema, row.name), {
			schema: row.schema,
			name: row.name,
			kind: row.kind === 'v' || row.kind === 'm' ? 'view' : 'table',
			columns: new Map(row.columns.map((c) => [c.name, { name: c.name, type: c.type }])),
			computed: new Map(),
			computedRelationships: new Set(),
			primaryKey: [],
			uniqueKeys: []
		});
	}

	const foreignKeys: ForeignKey[] = [];
	for (const row of constraintRows.rows) {
		const relation = relations.get(qualifiedKey(row.schema, row.table));
		if (row.type === 'p' && relation) relation.primaryKey = row.columns;
		if ((row.type === 'p' || row.type === 'u') && relation) relation.uniqueKeys.push(row.columns);
		if (row.type === 'f' && row.ref_schema && row.ref_table && row.ref_columns) {
			foreignKeys.push({
				name: row.name,
				schema: row.schema,
				table: row.table,
				columns: row.columns,
				refSchema: row.ref_schema,
				refTable: row.ref_table,
				refColumns: row.ref_columns
			});
		}
	}

	try {
		await inferViewRelationships(db, schemas, relations, foreignKeys);
	} catch (error) {
		// Views then embed nothing (PGRST200), which is clear, rather than keeping the API down.
		console.error('[rest] could not read view definitions:', (error as Error).message);
	}

	const routines = new Map<string, Routine[]>();
	for (const row of routineRows.rows) {
		const routine = toRoutine(row);
		if (!routine) continue;
		addComputedField(relations, row, routine);
		const key = qualifiedKey(row.schema, row.name);
		routines.set(key, [...(routines.get(key) ?? []), routine]);
	}

	return {
		schemas,
		relations,
		foreignKeys,
		routines,
		roles: new Set(roleRows.rows.map((r) => r.name))
	};
}

/**
 * A function of one row-typed parameter returning one scalar is a computed field of that relation
 * (PostgREST's `select=id,full_name` where `full_name(people)` is a function).
 */
function addComputedField(
	relations: Map<string, Relation>,
	row: RoutineRow,
	routine: Routine
): void {
	if (!row.arg_relation) return;
	const relation = relations.get(qualifiedKey(row.arg_relation.schema, row.arg_relation.name));
	if (!relation || relation.columns.has(routine.name)) return;
	if (routine.returnsRelation) relation.computedRelationships.add(routine.name);
	if (routine.returnsSet || routine.returns.kind !== 'scalar') return;
	const field: ComputedField = {
		schema: routine.schema,
		name: routine.name,
		type: routine.returns.type
	};
	relation.computed.set(routine.name, field);
}

function toRoutine(row: RoutineRow): Routine | undefined {
	const inputs = row.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
	const outputs = row.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
	const params = inputs.map((a, index) => ({
		name: a.name,
		type: a.type,
		hasDefault: index >= inputs.length - row.default_count,
		variadic: a.mode === 'v'
	}));
	let returns: Routine['returns'];
	if (row.return_type === 'void') returns = { kind: 'void' };
	else if (outputs.length > 0)
		returns = { kind: 'composite', columns: outputs.map((o) => ({ name: o.name, type: o.type })) };
	else if (row.return_columns) returns = { kind: 'composite', columns: row.return_columns };
	else if (row.return_typtype === 'p')
		return undefined; // trigger, record without columns, …: not callable over REST
	else returns = { kind: 'scalar', type: row.return_type };
	const volatility =
		row.volatility === 'i' ? 'immutable' : row.volatility === 's' ? 'stable' : 'volatile';
	const returnsRelation =
		row.return_relation_schema && row.return_relation_name
			? { schema: row.return_relation_schema, name: row.return_relation_name }
			: undefined;
	return {
		schema: row.schema,
		name: row.name,
		params,
		volatility,
		returnsSet: row.returns_set,
		returns,
		returnsRelation
	};
}

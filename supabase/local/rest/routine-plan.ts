import { RestError } from './errors.ts';
import { qualifiedKey, type Relation, type Routine, type SchemaCache } from './model.ts';
import { ident, type PlanContext } from './sql.ts';

/** Picks the overload of `name` that takes exactly these named arguments (404 PGRST202 otherwise). */
export function resolveRoutine(
	cache: SchemaCache,
	schema: string,
	name: string,
	argNames: string[]
): { routine: Routine; wholeBody: boolean } {
	const overloads = cache.routines.get(qualifiedKey(schema, name)) ?? [];
	const named = overloads.find(
		(r) =>
			argNames.every((a) => r.params.some((p) => p.name === a)) &&
			r.params.every((p) => p.hasDefault || argNames.includes(p.name))
	);
	if (named) return { routine: named, wholeBody: false };
	const single = overloads.find(
		(r) =>
			r.params.length === 1 &&
			r.params[0].name === '' &&
			['json', 'jsonb'].includes(r.params[0].type)
	);
	if (single) return { routine: single, wholeBody: true };
	const listed = [...argNames].sort().join(', ');
	throw new RestError(
		404,
		'PGRST202',
		`Could not find the function ${schema}.${name}${argNames.length ? `(${listed})` : ' without parameters'} in the schema cache`,
		`Searched for the function ${schema}.${name}${argNames.length ? ` with parameters ${listed}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
		null
	);
}

/**
 * The FROM item calling a function with its arguments. Arguments travel as one JSON object that
 * json_to_record converts to the parameters' types (arrays and objects included).
 */
export function routineFromItem(
	ctx: PlanContext,
	routine: Routine,
	args: Record<string, unknown>,
	wholeBody: boolean,
	alias: string
): string {
	const fn = `${ident(routine.schema)}.${ident(routine.name)}`;
	if (wholeBody) {
		return `${fn}(${ctx.params.bind(JSON.stringify(args), routine.params[0].type)}) as ${ident(alias)}`;
	}
	const given = routine.params.filter((p) => p.name in args);
	if (!given.length) return `${fn}() as ${ident(alias)}`;
	const definitions = given.map((p) => `${ident(p.name)} ${p.type}`).join(', ');
	const call = given
		.map((p) => `${p.variadic ? 'variadic ' : ''}${ident(p.name)} := pgrst_args.${ident(p.name)}`)
		.join(', ');
	return `json_to_record(${ctx.params.bind(JSON.stringify(args), 'json')}) as pgrst_args(${definitions}) cross join lateral ${fn}(${call}) as ${ident(alias)}`;
}

/** A function's result rows seen as a relation, so select, filters, order and embeds work on them. */
export function routineRelation(cache: SchemaCache, routine: Routine): Relation {
	const table =
		routine.returnsRelation &&
		cache.relations.get(qualifiedKey(routine.returnsRelation.schema, routine.returnsRelation.name));
	if (table) return table;
	const columns =
		routine.returns.kind === 'composite'
			? routine.returns.columns
			: [
					{
						name: routine.name,
						type: routine.returns.kind === 'scalar' ? routine.returns.type : 'void'
					}
				];
	return {
		schema: routine.schema,
		name: routine.name,
		kind: 'view',
		columns: new Map(columns.map((c) => [c.name, c])),
		computed: new Map(),
		computedRelationships: new Set(),
		primaryKey: [],
		uniqueKeys: []
	};
}

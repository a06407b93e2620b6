/** What the REST service knows about the database: the types of its schema cache. */

export interface Column {
	name: string;
	/** SQL type as `format_type` prints it; trusted, it comes from the catalog. */
	type: string;
}

/** A function taking a relation's row type, selectable like a column (PostgREST's computed field). */
export interface ComputedField {
	schema: string;
	/** The function's name, which is also the field's name. */
	name: string;
	/** Its return type as `format_type` prints it. */
	type: string;
}

export interface Relation {
	schema: string;
	name: string;
	kind: 'table' | 'view';
	columns: Map<string, Column>;
	/** Computed fields by name; `*` does not include them, as in PostgREST. */
	computed: Map<string, ComputedField>;
	/** Functions of this row type returning rows of a relation (PostgREST's computed relationships). */
	computedRelationships: Set<string>;
	/** Primary key columns, then each unique constraint's columns. */
	primaryKey: string[];
	uniqueKeys: string[][];
}

export interface ForeignKey {
	name: string;
	schema: string;
	table: string;
	columns: string[];
	refSchema: string;
	refTable: string;
	refColumns: string[];
}

export interface RoutineParam {
	name: string;
	type: string;
	hasDefault: boolean;
	/** A VARIADIC parameter: called with an array (or repeated query parameters). */
	variadic: boolean;
}

export interface Routine {
	schema: string;
	name: string;
	params: RoutineParam[];
	volatility: 'immutable' | 'stable' | 'volatile';
	returnsSet: boolean;
	/** What one result row is: a scalar, a row with columns, or nothing. */
	returns:
		{ kind: 'void' } | { kind: 'scalar'; type: string } | { kind: 'composite'; columns: Column[] };
	/** The table or view whose row type the function returns, so its results can embed related rows. */
	returnsRelation?: { schema: string; name: string };
}

/** What the API may touch, read once from pg_catalog and kept in memory. */
export interface SchemaCache {
	/** The schemas served, in the order config.toml lists them (the first is the default). */
	schemas: string[];
	relations: Map<string, Relation>;
	foreignKeys: ForeignKey[];
	routines: Map<string, Routine[]>;
	/** Roles a JWT may switch to (members of authenticator). */
	roles: Set<string>;
}

/** Key of a relation or routine in the cache maps. */
export function qualifiedKey(schema: string, name: string): string {
	return `${schema}.${name}`;
}

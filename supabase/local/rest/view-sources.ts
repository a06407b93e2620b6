import type { Tx } from '../db.ts';
import { qualifiedKey, type ForeignKey, type Relation } from './model.ts';

/** The table column a view column shows, as Postgres records it in the view's rewrite rule. */
interface ColumnSource {
	schema: string;
	table: string;
	column: string;
}

interface ViewRow {
	oid: string;
	schema: string;
	name: string;
	action: string;
}

interface AttributeRow {
	oid: string;
	schema: string;
	table: string;
	attnum: number;
	attname: string;
}

interface TargetEntry {
	resno: number;
	table: string;
	column: number;
}

const viewsSql = `
select c.oid::text as oid, n.nspname as schema, c.relname as name, r.ev_action::text as action
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_rewrite r on r.ev_class = c.oid and r.rulename = '_RETURN'
where n.nspname = any($1::text[]) and c.relkind in ('v', 'm')`;

const attributesSql = `
select c.oid::text as oid, n.nspname as schema, c.relname as "table", a.attnum::int as attnum, a.attname as attname
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where c.oid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped`;

/** The substring from the bracket at `start` to its match, skipping backslash-escaped characters. */
function balanced(text: string, start: number): string {
	let depth = 0;
	for (let i = start; i < text.length; i++) {
		const c = text[i];
		if (c === '\\') i++;
		else if (c === '{' || c === '(') depth++;
		else if (c === '}' || c === ')') {
			depth--;
			if (depth === 0) return text.slice(start, i + 1);
		}
	}
	return text.slice(start);
}

const entryFields =
	/:resno (\d+) :resname (?:\\.|\S)+ :ressortgroupref \d+ :resorigtbl (\d+) :resorigcol (\d+) :resjunk false/g;

/**
 * Reads the outermost query's target list from a view's stored rule (`pg_rewrite.ev_action`). Postgres
 * fills `resorigtbl`/`resorigcol` with the table column each output column comes from (through
 * subqueries and CTEs too), which is what PostgREST uses to carry foreign keys over to views.
 */
function topLevelTargetEntries(action: string): TargetEntry[] {
	let depth = 0;
	for (let i = 0; i < action.length; i++) {
		const c = action[i];
		if (c === '\\') i++;
		else if (c === '{' || c === '(') depth++;
		else if (c === '}' || c === ')') depth--;
		else if (depth === 2 && action.startsWith(':targetList (', i)) {
			const list = balanced(action, i + ':targetList '.length).slice(1, -1);
			const entries: TargetEntry[] = [];
			for (let j = 0; j < list.length; j++) {
				if (list[j] !== '{') continue;
				const entry = balanced(list, j);
				j += entry.length - 1;
				// The entry's own fields follow its expression, so the last match is the entry's.
				const match = [...entry.matchAll(entryFields)].at(-1);
				if (match && match[2] !== '0')
					entries.push({ resno: Number(match[1]), table: match[2], column: Number(match[3]) });
			}
			return entries;
		}
	}
	return [];
}

/**
 * Adds to `foreignKeys` the relationships views inherit from the tables they show, and gives views the
 * unique keys of those tables, so embedding works on views as it does in PostgREST.
 */
export async function inferViewRelationships(
	db: Tx,
	schemas: string[],
	relations: Map<string, Relation>,
	foreignKeys: ForeignKey[]
): Promise<void> {
	const views = (await db.query<ViewRow>(viewsSql, [schemas])).rows;
	if (!views.length) return;
	const parsed = views.map((view) => ({ view, entries: topLevelTargetEntries(view.action) }));
	const oids = new Set<string>(views.map((v) => v.oid));
	for (const { entries } of parsed) for (const e of entries) oids.add(e.table);
	const attributes = (await db.query<AttributeRow>(attributesSql, [[...oids]])).rows;
	const attribute = new Map(attributes.map((a) => [`${a.oid}:${a.attnum}`, a]));

	// For each view, which of its columns shows which table column.
	const sources = new Map<string, { view: ViewRow; columns: Map<string, ColumnSource> }>();
	for (const { view, entries } of parsed) {
		const columns = new Map<string, ColumnSource>();
		for (const entry of entries) {
			const own = attribute.get(`${view.oid}:${entry.resno}`);
			const origin = attribute.get(`${entry.table}:${entry.column}`);
			if (own && origin)
				columns.set(own.attname, {
					schema: origin.schema,
					table: origin.table,
					column: origin.attname
				});
		}
		sources.set(qualifiedKey(view.schema, view.name), { view, columns });
	}

	/** The view columns showing all of `columns` of a table, per view that shows them all. */
	const viewsShowing = (schema: string, table: string, columns: string[]) => {
		const found: { schema: string; table: string; columns: string[] }[] = [];
		for (const { view, columns: shown } of sources.values()) {
			const mapped = columns.map((column) => {
				for (const [viewColumn, source] of shown) {
					if (source.schema === schema && source.table === table && source.column === column)
						return viewColumn;
				}
				return undefined;
			});
			if (mapped.every((c) => c !== undefined))
				found.push({ schema: view.schema, table: view.name, columns: mapped as string[] });
		}
		return found;
	};

	const baseKeys = [...foreignKeys];
	for (const fk of baseKeys) {
		const from = [
			{ schema: fk.schema, table: fk.table, columns: fk.columns },
			...viewsShowing(fk.schema, fk.table, fk.columns)
		];
		const to = [
			{ schema: fk.refSchema, table: fk.refTable, columns: fk.refColumns },
			...viewsShowing(fk.refSchema, fk.refTable, fk.refColumns)
		];
		for (const [i, source] of from.entries()) {
			for (const [j, target] of to.entries()) {
				if (i === 0 && j === 0) continue;
				foreignKeys.push({
					name: fk.name,
					schema: source.schema,
					table: source.table,
					columns: source.columns,
					refSchema: target.schema,
					refTable: target.table,
					refColumns: target.columns
				});
			}
		}
	}

	for (const table of [...relations.values()].filter((r) => r.kind === 'table')) {
		for (const key of table.uniqueKeys) {
			for (const view of viewsShowing(table.schema, table.name, key)) {
				const relation = relations.get(qualifiedKey(view.schema, view.table));
				if (!relation) continue;
				relation.uniqueKeys.push(view.columns);
				if (key === table.primaryKey && !relation.primaryKey.length)
					relation.primaryKey = view.columns;
			}
		}
	}
}

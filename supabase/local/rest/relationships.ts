import { RestError } from './errors.ts';
import { qualifiedKey, type ForeignKey, type Relation, type SchemaCache } from './model.ts';

/** How an embedded resource joins its parent, as PostgREST infers it from foreign keys. */
export type Relationship =
	| { kind: 'many-to-one' | 'one-to-one-parent'; foreignKey: ForeignKey; target: Relation }
	| { kind: 'one-to-many' | 'one-to-one-child'; foreignKey: ForeignKey; target: Relation }
	| {
			kind: 'many-to-many';
			junction: Relation;
			toParent: ForeignKey;
			toTarget: ForeignKey;
			target: Relation;
	  };

/** True when the relationship yields at most one embedded row (rendered as an object or null). */
export function isToOne(relationship: Relationship): boolean {
	return (
		relationship.kind === 'many-to-one' ||
		relationship.kind === 'one-to-one-parent' ||
		relationship.kind === 'one-to-one-child'
	);
}

function sameColumns(a: string[], b: string[]): boolean {
	return a.length === b.length && a.every((c) => b.includes(c));
}

function isUnique(relation: Relation, columns: string[]): boolean {
	return relation.uniqueKeys.some((key) => sameColumns(key, columns));
}

function describe(relationship: Relationship, parent: Relation): Record<string, string> {
	const cols = (cs: string[]) => cs.join(', ');
	if (relationship.kind === 'many-to-many') {
		const { junction, toParent, toTarget, target } = relationship;
		return {
			cardinality: 'many-to-many',
			embedding: `${parent.name} with ${target.name}`,
			relationship: `${junction.name} using ${toParent.name}(${cols(toParent.columns)}) and ${toTarget.name}(${cols(toTarget.columns)})`
		};
	}
	const { foreignKey, target } = relationship;
	const fromParent =
		relationship.kind === 'many-to-one' || relationship.kind === 'one-to-one-parent';
	return {
		cardinality: relationship.kind.startsWith('one-to-one') ? 'one-to-one' : relationship.kind,
		embedding: `${parent.name} with ${target.name}`,
		relationship: fromParent
			? `${foreignKey.name} using ${parent.name}(${cols(foreignKey.columns)}) and ${target.name}(${cols(foreignKey.refColumns)})`
			: `${foreignKey.name} using ${target.name}(${cols(foreignKey.columns)}) and ${parent.name}(${cols(foreignKey.refColumns)})`
	};
}

/** Columns of a relationship on the origin (parent) side and on the target side. */
function columnPairs(
	relationship: Relationship
): { origin: string[]; target: string[] } | undefined {
	if (relationship.kind === 'many-to-many') return undefined;
	const fromParent =
		relationship.kind === 'many-to-one' || relationship.kind === 'one-to-one-parent';
	const { columns, refColumns } = relationship.foreignKey;
	return fromParent
		? { origin: columns, target: refColumns }
		: { origin: refColumns, target: columns };
}

function isSelf(relationship: Relationship, parent: Relation): boolean {
	return relationship.target === parent;
}

/**
 * PostgREST's findRel: the embed `name` is the target table, a foreign key constraint, or the
 * parent's foreign key column; a hint narrows by constraint, column on either side, or junction.
 * A self-reference yields one foreign key seen both ways: the table name (or a hint naming the
 * children's column) picks one-to-many, the parent's column picks many-to-one.
 */
function matches(
	relationship: Relationship,
	parent: Relation,
	name: string,
	hint: string | undefined
): boolean {
	const pairs = columnPairs(relationship);
	const originColumn = pairs?.origin.length === 1 ? pairs.origin[0] : undefined;
	const targetColumn = pairs?.target.length === 1 ? pairs.target[0] : undefined;
	const constraint =
		relationship.kind === 'many-to-many' ? undefined : relationship.foreignKey.name;
	const toMany = relationship.kind === 'one-to-many' || relationship.kind === 'one-to-one-child';
	const targetName = relationship.target.name;
	if (isSelf(relationship, parent) && relationship.kind !== 'many-to-many') {
		if (hint === undefined)
			return (name === targetName && toMany) || (name === originColumn && !toMany);
		return name === targetName && toMany && hint === targetColumn;
	}
	if (hint === undefined)
		return name === targetName || name === constraint || name === originColumn;
	if (name !== targetName) return false;
	if (relationship.kind === 'many-to-many') return relationship.junction.name === hint;
	return hint === constraint || hint === originColumn || hint === targetColumn;
}

/** Every relationship from `parent` to a relation of its schema, one per foreign key direction. */
function relationshipsFrom(cache: SchemaCache, parent: Relation): Relationship[] {
	const found: Relationship[] = [];
	const local = (schema: string, table: string) =>
		schema === parent.schema ? cache.relations.get(qualifiedKey(schema, table)) : undefined;
	for (const fk of cache.foreignKeys) {
		if (fk.schema === parent.schema && fk.table === parent.name) {
			const target = local(fk.refSchema, fk.refTable);
			if (target)
				found.push({
					kind: isUnique(parent, fk.columns) ? 'one-to-one-parent' : 'many-to-one',
					foreignKey: fk,
					target
				});
		}
		if (fk.refSchema === parent.schema && fk.refTable === parent.name) {
			const target = local(fk.schema, fk.table);
			if (target)
				found.push({
					kind: isUnique(target, fk.columns) ? 'one-to-one-child' : 'one-to-many',
					foreignKey: fk,
					target
				});
		}
	}
	for (const junction of cache.relations.values()) {
		if (junction === parent || junction.schema !== parent.schema) continue;
		const fks = cache.foreignKeys.filter(
			(fk) => fk.schema === junction.schema && fk.table === junction.name
		);
		for (const toParent of fks.filter(
			(fk) => fk.refSchema === parent.schema && fk.refTable === parent.name
		)) {
			for (const toTarget of fks.filter((fk) => fk !== toParent)) {
				const target = local(toTarget.refSchema, toTarget.refTable);
				// PostgREST treats a table as a junction when both foreign keys are part of its primary key.
				const keyed = [...toParent.columns, ...toTarget.columns].every((c) =>
					junction.primaryKey.includes(c)
				);
				if (target && target !== junction && keyed)
					found.push({ kind: 'many-to-many', junction, toParent, toTarget, target });
			}
		}
	}
	return found;
}

/** Finds the one relationship between `parent` and the embed `name[!hint]`, or explains why not. */
export function resolveRelationship(
	cache: SchemaCache,
	parent: Relation,
	name: string,
	hint: string | undefined
): Relationship {
	const matching = relationshipsFrom(cache, parent).filter((r) => matches(r, parent, name, hint));
	if (matching.length === 1) return matching[0];
	if (matching.length === 0) {
		const hinted = hint ? ` using the hint '${hint}'` : '';
		throw new RestError(
			400,
			'PGRST200',
			`Could not find a relationship between '${parent.name}' and '${name}' in the schema cache`,
			`Searched for a foreign key relationship between '${parent.name}' and '${name}'${hinted} in the schema '${parent.schema}', but no matches were found.`,
			null
		);
	}
	const hints = matching.map((c) =>
		c.kind === 'many-to-many'
			? `'${c.target.name}!${c.junction.name}'`
			: `'${c.target.name}!${c.foreignKey.name}'`
	);
	throw new RestError(
		300,
		'PGRST201',
		`Could not embed because more than one relationship was found for '${parent.name}' and '${name}'`,
		matching.map((c) => describe(c, parent)),
		`Try changing '${name}' to one of the following: ${[...new Set(hints)].join(', ')}. Find the desired relationship in the 'details' key.`
	);
}

import { RestError } from './errors.ts';
import { qualifiedKey, type ForeignKey, type Relation, type SchemaCache } from './schema-cache.ts';

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

function matchesHint(relationship: Relationship, hint: string): boolean {
	if (relationship.kind === 'many-to-many') {
		return (
			relationship.junction.name === hint ||
			relationship.toParent.name === hint ||
			relationship.toTarget.name === hint
		);
	}
	const { foreignKey } = relationship;
	return (
		foreignKey.name === hint ||
		(foreignKey.columns.length === 1 && foreignKey.columns[0] === hint) ||
		(foreignKey.refColumns.length === 1 && foreignKey.refColumns[0] === hint)
	);
}

/** Finds the one relationship between `parent` and the embed `name[!hint]`, or explains why not. */
export function resolveRelationship(
	cache: SchemaCache,
	parent: Relation,
	name: string,
	hint: string | undefined
): Relationship {
	const target = cache.relations.get(qualifiedKey(parent.schema, name));
	const candidates: Relationship[] = [];
	if (target) {
		for (const fk of cache.foreignKeys) {
			if (
				fk.schema === parent.schema &&
				fk.table === parent.name &&
				fk.refSchema === target.schema &&
				fk.refTable === target.name
			) {
				candidates.push({
					kind: isUnique(parent, fk.columns) ? 'one-to-one-parent' : 'many-to-one',
					foreignKey: fk,
					target
				});
			}
			if (
				fk.schema === target.schema &&
				fk.table === target.name &&
				fk.refSchema === parent.schema &&
				fk.refTable === parent.name
			) {
				candidates.push({
					kind: isUnique(target, fk.columns) ? 'one-to-one-child' : 'one-to-many',
					foreignKey: fk,
					target
				});
			}
		}
		for (const junction of cache.relations.values()) {
			if (junction === parent || junction === target || junction.schema !== parent.schema) continue;
			const fks = cache.foreignKeys.filter(
				(fk) => fk.schema === junction.schema && fk.table === junction.name
			);
			for (const toParent of fks.filter(
				(fk) => fk.refSchema === parent.schema && fk.refTable === parent.name
			)) {
				for (const toTarget of fks.filter(
					(fk) => fk !== toParent && fk.refSchema === target.schema && fk.refTable === target.name
				)) {
					// PostgREST treats a table as a junction when both foreign keys are part of its primary key.
					const keyed = [...toParent.columns, ...toTarget.columns].every((c) =>
						junction.primaryKey.includes(c)
					);
					if (keyed)
						candidates.push({ kind: 'many-to-many', junction, toParent, toTarget, target });
				}
			}
		}
	}
	const matching = hint ? candidates.filter((c) => matchesHint(c, hint)) : candidates;
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
		c.kind === 'many-to-many' ? `'${name}!${c.junction.name}'` : `'${name}!${c.foreignKey.name}'`
	);
	throw new RestError(
		300,
		'PGRST201',
		`Could not embed because more than one relationship was found for '${parent.name}' and '${name}'`,
		matching.map((c) => describe(c, parent)),
		`Try changing '${name}' to one of the following: ${[...new Set(hints)].join(', ')}. Find the desired relationship in the 'details' key.`
	);
}

/** One tracked presence: the metas a client sent plus Phoenix's `phx_ref`. */
export type PresenceMeta = Record<string, unknown> & { phx_ref: string; phx_ref_prev?: string };

/** Phoenix's presence shapes: `presence_state` is a map of key → metas; a diff has joins and leaves. */
export type PresenceMap = Record<string, { metas: PresenceMeta[] }>;
export interface PresenceDiff {
	joins: PresenceMap;
	leaves: PresenceMap;
}

let nextPresenceRef = 0;

/**
 * Who is present on one topic (public and private topics of one name are separate groups). Each
 * member (a joined channel) tracks at most one meta under its key, as Phoenix.Presence does per pid.
 */
export class PresenceGroup<Member> {
	private readonly entries = new Map<Member, { key: string; meta: PresenceMeta }>();

	get size(): number {
		return this.entries.size;
	}

	/** The full state, sent as `presence_state` to a member that starts listening. */
	state(): PresenceMap {
		const state: PresenceMap = {};
		for (const { key, meta } of this.entries.values())
			(state[key] ??= { metas: [] }).metas.push(meta);
		return state;
	}

	/** Tracks (or updates) a member's presence; an update leaves the old meta and joins the new one. */
	track(member: Member, key: string, payload: Record<string, unknown>): PresenceDiff {
		const previous = this.entries.get(member);
		const meta: PresenceMeta = { ...payload, phx_ref: `P${++nextPresenceRef}` };
		if (previous) meta.phx_ref_prev = previous.meta.phx_ref;
		this.entries.set(member, { key, meta });
		const diff: PresenceDiff = { joins: { [key]: { metas: [meta] } }, leaves: {} };
		if (previous) diff.leaves[previous.key] = { metas: [previous.meta] };
		return diff;
	}

	/** Removes a member's presence; undefined when it tracked nothing. */
	untrack(member: Member): PresenceDiff | undefined {
		const previous = this.entries.get(member);
		if (!previous) return undefined;
		this.entries.delete(member);
		return { joins: {}, leaves: { [previous.key]: { metas: [previous.meta] } } };
	}
}

import type { Tx } from '../db.ts';
import type { ApiConfig } from '../config.ts';

/**
 * How the REST service behaves: config.toml's `[api]`, plus the PostgREST settings Supabase keeps
 * in the database (`alter role authenticator set pgrst.db_aggregates_enabled = 'true'`), read again
 * on `NOTIFY pgrst, 'reload config'` as PostgREST does.
 */
export interface RestSettings {
	/** Served schemas; the first answers requests without a profile header. */
	schemas: string[];
	/** Schemas after the served one in every request's search_path. */
	extraSearchPath: string[];
	/** Rows a read answers at most; undefined means no limit. */
	maxRows: number | undefined;
	/** `pgrst.db_aggregates_enabled`: `amount.sum()`, `count()` in select. */
	aggregatesEnabled: boolean;
	/** `pgrst.db_plan_enabled`: `Accept: application/vnd.pgrst.plan`. */
	planEnabled: boolean;
}

const roleSettingsSql = `
select unnest(s.setconfig) as setting
from pg_db_role_setting s
join pg_roles r on r.oid = s.setrole
where r.rolname = 'authenticator'
	and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))`;

function isTrue(value: string | undefined): boolean {
	return value !== undefined && ['true', 'on', '1', 'yes'].includes(value.trim().toLowerCase());
}

/** The `pgrst.*` settings of the authenticator role, by name without the prefix. */
async function readDatabaseSettings(db: Tx): Promise<Map<string, string>> {
	const settings = new Map<string, string>();
	const rows = (await db.query<{ setting: string }>(roleSettingsSql)).rows;
	for (const { setting } of rows) {
		const at = setting.indexOf('=');
		if (at > 0 && setting.startsWith('pgrst.'))
			settings.set(setting.slice('pgrst.'.length, at), setting.slice(at + 1));
	}
	return settings;
}

/** Combines config.toml's `[api]` with the in-database PostgREST settings. */
export async function loadRestSettings(db: Tx, api: ApiConfig): Promise<RestSettings> {
	const inDatabase = await readDatabaseSettings(db);
	return {
		schemas: api.schemas,
		extraSearchPath: api.extra_search_path,
		maxRows: api.max_rows > 0 ? api.max_rows : undefined,
		aggregatesEnabled: isTrue(inDatabase.get('db_aggregates_enabled')),
		planEnabled: isTrue(inDatabase.get('db_plan_enabled'))
	};
}

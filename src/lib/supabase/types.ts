import type { SupabaseClient } from '@supabase/supabase-js';
import type { z } from 'zod';
import type { Database } from '$shared/database.types';

export type { Database, Json, Tables, TablesInsert, TablesUpdate } from '$shared/database.types';

/** The app's Supabase client, typed by the database types generated from the migrations. */
export type ParleyClient = SupabaseClient<Database>;

/**
 * Zod schemas for some columns of a table's row: each must give a value the column's generated
 * type allows (a narrower one is fine, like a union of the words a check constraint allows), and a
 * renamed or dropped column no longer compiles.
 */
export type ColumnSchemas<Row> = { [Column in keyof Row]?: z.ZodType<Row[Column]> };

/**
 * The same for the columns of a function's `returns table (…)`: the generator types them non-null
 * whatever they hold, so null is allowed here and the schema says which may be null.
 */
export type ReturnedColumnSchemas<Row> = { [Column in keyof Row]?: z.ZodType<Row[Column] | null> };

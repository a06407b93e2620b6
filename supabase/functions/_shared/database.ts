/**
 * The database as the functions read it: the generated schema (database.types.ts, from the
 * migrations) with what the generator cannot read from the catalog written on top, the way
 * Supabase suggests overriding generated types:
 * - text columns a check constraint keeps to a few words, as unions;
 * - json columns and arguments, as the shapes the SQL reads and writes;
 * - function arguments that take null (Postgres passes null to any argument of a function that
 *   is not strict; the generator types every argument as not null);
 * - columns of `returns table` functions that are null for some rows (the generator says never);
 * - columns a trigger fills, optional on insert.
 * Everything else is the generated type unchanged.
 */
import type { Database as GeneratedDatabase } from './database.types.ts';
import type { ProviderName, TemplateReference } from './contracts.ts';
import type { TemplateButton, TemplateHeaderFormat, TemplateVariable } from './template-text.ts';
import type {
	AccountEvent,
	InboundMessage,
	MessageMedia,
	ProviderTemplate,
	RejectedItem,
	StatusUpdate
} from './providers/provider.ts';

type Generated = GeneratedDatabase['public'];
type GeneratedTables = Generated['Tables'];
type GeneratedFunctions = Generated['Functions'];

/** `Base` with the properties of `Changes` replaced (and their optionality with them). */
type Override<Base, Changes> = Omit<Base, keyof Changes> & Changes;

/** `Base` with the named properties also taking null (optional ones stay optional). */
type NullableIn<Base, Keys extends keyof Base> = {
	[Key in keyof Base]: Key extends Keys ? Base[Key] | null : Base[Key];
};

/** A table with some of its row's columns typed more narrowly, and optionally its insert. */
type TableWith<
	Name extends keyof GeneratedTables,
	Row,
	Insert = GeneratedTables[Name]['Insert']
> = Override<
	GeneratedTables[Name],
	{ Row: Override<GeneratedTables[Name]['Row'], Row> } & {
		Insert: Insert;
	}
>;

/** A function whose arguments are partly replaced and whose answer may be replaced. */
type FunctionWith<
	Name extends keyof GeneratedFunctions,
	Args,
	Returns = GeneratedFunctions[Name]['Returns']
> = Override<GeneratedFunctions[Name], { Args: Args; Returns: Returns }>;

/** A function whose named arguments also take null. */
type FunctionTakingNull<
	Name extends keyof GeneratedFunctions,
	Keys extends keyof GeneratedFunctions[Name]['Args']
> = FunctionWith<Name, NullableIn<GeneratedFunctions[Name]['Args'], Keys>>;

type Tables = {
	whatsapp_numbers: TableWith<'whatsapp_numbers', { provider: ProviderName }>;
	integrations: TableWith<'integrations', { status: 'connected' | 'failed' }>;
	messages: TableWith<
		'messages',
		{
			direction: 'inbound' | 'outbound';
			provider: ProviderName;
			sender: 'customer' | 'agent' | 'ai' | 'system';
			media: MessageMedia | null;
		}
	>;
	conversations: TableWith<
		'conversations',
		{
			sentiment: 'positive' | 'neutral' | 'negative' | null;
			insights_source: 'ai' | 'offline' | null;
		}
	>;
	whatsapp_templates: TableWith<
		'whatsapp_templates',
		{
			provider: ProviderName;
			header_format: TemplateHeaderFormat | null;
			header_variables: TemplateVariable[];
			buttons: TemplateButton[];
		}
	>;
	/** A trigger copies the tenant from the source's agent. */
	knowledge_sources: TableWith<
		'knowledge_sources',
		Record<never, never>,
		Override<
			GeneratedTables['knowledge_sources']['Insert'],
			{ tenant_id?: GeneratedTables['knowledge_sources']['Insert']['tenant_id'] }
		>
	>;
};

type Functions = {
	connect_whatsapp_number: FunctionTakingNull<
		'connect_whatsapp_number',
		| 'address'
		| 'integration_id'
		| 'phone_number_id'
		| 'business_account_id'
		| 'assigned_agent_id'
		| 'connected_by'
	>;
	save_twilio_integration: FunctionWith<
		'save_twilio_integration',
		NullableIn<GeneratedFunctions['save_twilio_integration']['Args'], 'account_name'>,
		Tables['integrations']['Row']
	>;
	store_conversation_insights: FunctionWith<
		'store_conversation_insights',
		NullableIn<GeneratedFunctions['store_conversation_insights']['Args'], 'message_id'>,
		Tables['conversations']['Row']
	>;
	queue_outbound_message: FunctionWith<
		'queue_outbound_message',
		Override<
			NullableIn<GeneratedFunctions['queue_outbound_message']['Args'], 'body' | 'media'>,
			{ template?: TemplateReference | null }
		>
	>;
	ingest_whatsapp_delivery: FunctionWith<
		'ingest_whatsapp_delivery',
		Override<
			GeneratedFunctions['ingest_whatsapp_delivery']['Args'],
			{
				messages?: InboundMessage[];
				statuses?: StatusUpdate[];
				rejected?: RejectedItem[];
				events?: AccountEvent[];
				parse_error?: string | null;
			}
		>
	>;
	sync_whatsapp_templates: FunctionWith<
		'sync_whatsapp_templates',
		{ number_id: string; templates: ProviderTemplate[] }
	>;
	number_send_credentials: FunctionWith<
		'number_send_credentials',
		GeneratedFunctions['number_send_credentials']['Args'],
		{
			provider: ProviderName;
			address: string | null;
			phone_number_id: string | null;
			account_sid: string | null;
			secret_ciphertext: string | null;
		}[]
	>;
	meta_webhook_numbers: FunctionWith<
		'meta_webhook_numbers',
		GeneratedFunctions['meta_webhook_numbers']['Args'],
		NullableIn<
			GeneratedFunctions['meta_webhook_numbers']['Returns'][number],
			'business_account_id'
		>[]
	>;
};

/** The schema every function's client is typed with (`SupabaseClient<Database>`). */
export type Database = Override<
	GeneratedDatabase,
	{
		public: Override<
			Generated,
			{
				Tables: Override<GeneratedTables, Tables>;
				Functions: Override<GeneratedFunctions, Functions>;
			}
		>;
	}
>;

/** A table's row as the functions read it. */
export type Row<Name extends keyof Database['public']['Tables']> =
	Database['public']['Tables'][Name]['Row'];

/** The columns an update of a table may set. */
export type Update<Name extends keyof Database['public']['Tables']> =
	Database['public']['Tables'][Name]['Update'];

export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];

export type Database = {
	// Allows to automatically instantiate createClient with right options
	// instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)
	__InternalSupabase: {
		PostgrestVersion: '13';
	};
	public: {
		Tables: {
			ai_agents: {
				Row: {
					active: boolean;
					created_at: string;
					id: string;
					instructions: string;
					knowledge_language: unknown;
					model: string;
					name: string;
					tenant_id: string;
					updated_at: string;
					whatsapp_enabled: boolean;
				};
				Insert: {
					active?: boolean;
					created_at?: string;
					id?: string;
					instructions?: string;
					knowledge_language?: unknown;
					model?: string;
					name: string;
					tenant_id: string;
					updated_at?: string;
					whatsapp_enabled?: boolean;
				};
				Update: {
					active?: boolean;
					created_at?: string;
					id?: string;
					instructions?: string;
					knowledge_language?: unknown;
					model?: string;
					name?: string;
					tenant_id?: string;
					updated_at?: string;
					whatsapp_enabled?: boolean;
				};
				Relationships: [
					{
						foreignKeyName: 'ai_agents_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			canned_responses: {
				Row: {
					body: string;
					created_at: string;
					created_by: string | null;
					id: string;
					shortcut: string;
					tenant_id: string;
					title: string;
					updated_at: string;
				};
				Insert: {
					body: string;
					created_at?: string;
					created_by?: string | null;
					id?: string;
					shortcut: string;
					tenant_id: string;
					title: string;
					updated_at?: string;
				};
				Update: {
					body?: string;
					created_at?: string;
					created_by?: string | null;
					id?: string;
					shortcut?: string;
					tenant_id?: string;
					title?: string;
					updated_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'canned_responses_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			contacts: {
				Row: {
					created_at: string;
					id: string;
					note: string | null;
					note_updated_at: string | null;
					note_updated_by: string | null;
					parent_user_id: string | null;
					profile_name: string | null;
					renamed_at: string | null;
					renamed_by: string | null;
					tenant_id: string;
					updated_at: string;
					user_id: string | null;
					username: string | null;
					wa_id: string | null;
					whatsapp_name: string | null;
				};
				Insert: {
					created_at?: string;
					id?: string;
					note?: string | null;
					note_updated_at?: string | null;
					note_updated_by?: string | null;
					parent_user_id?: string | null;
					profile_name?: string | null;
					renamed_at?: string | null;
					renamed_by?: string | null;
					tenant_id: string;
					updated_at?: string;
					user_id?: string | null;
					username?: string | null;
					wa_id?: string | null;
					whatsapp_name?: string | null;
				};
				Update: {
					created_at?: string;
					id?: string;
					note?: string | null;
					note_updated_at?: string | null;
					note_updated_by?: string | null;
					parent_user_id?: string | null;
					profile_name?: string | null;
					renamed_at?: string | null;
					renamed_by?: string | null;
					tenant_id?: string;
					updated_at?: string;
					user_id?: string | null;
					username?: string | null;
					wa_id?: string | null;
					whatsapp_name?: string | null;
				};
				Relationships: [
					{
						foreignKeyName: 'contacts_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			conversation_cycles: {
				Row: {
					conversation_id: string;
					escalated_at: string | null;
					escalation_reason: string | null;
					first_ai_reply_at: string | null;
					first_human_reply_at: string | null;
					first_human_reply_by: string | null;
					first_inbound_at: string | null;
					id: string;
					number_id: string;
					opened_at: string;
					resolved_at: string | null;
					resolved_by: string | null;
					sentiment: string | null;
					tenant_id: string;
				};
				Insert: {
					conversation_id: string;
					escalated_at?: string | null;
					escalation_reason?: string | null;
					first_ai_reply_at?: string | null;
					first_human_reply_at?: string | null;
					first_human_reply_by?: string | null;
					first_inbound_at?: string | null;
					id?: string;
					number_id: string;
					opened_at: string;
					resolved_at?: string | null;
					resolved_by?: string | null;
					sentiment?: string | null;
					tenant_id: string;
				};
				Update: {
					conversation_id?: string;
					escalated_at?: string | null;
					escalation_reason?: string | null;
					first_ai_reply_at?: string | null;
					first_human_reply_at?: string | null;
					first_human_reply_by?: string | null;
					first_inbound_at?: string | null;
					id?: string;
					number_id?: string;
					opened_at?: string;
					resolved_at?: string | null;
					resolved_by?: string | null;
					sentiment?: string | null;
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'conversation_cycles_conversation_id_fkey';
						columns: ['conversation_id'];
						isOneToOne: false;
						referencedRelation: 'conversations';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversation_cycles_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: false;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversation_cycles_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			conversation_labels: {
				Row: {
					assignee_id: string | null;
					conversation_id: string;
					escalated_at: string | null;
					label_id: string;
					number_id: string | null;
					snoozed_until: string | null;
					status: string;
					tenant_id: string;
				};
				Insert: {
					assignee_id?: string | null;
					conversation_id: string;
					escalated_at?: string | null;
					label_id: string;
					number_id?: string | null;
					snoozed_until?: string | null;
					status?: string;
					tenant_id: string;
				};
				Update: {
					assignee_id?: string | null;
					conversation_id?: string;
					escalated_at?: string | null;
					label_id?: string;
					number_id?: string | null;
					snoozed_until?: string | null;
					status?: string;
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'conversation_labels_conversation_id_fkey';
						columns: ['conversation_id'];
						isOneToOne: false;
						referencedRelation: 'conversations';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversation_labels_label_id_fkey';
						columns: ['label_id'];
						isOneToOne: false;
						referencedRelation: 'labels';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversation_labels_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			conversation_notes: {
				Row: {
					author_id: string | null;
					body: string;
					conversation_id: string;
					created_at: string;
					id: string;
					mentioned_user_ids: string[];
					tenant_id: string;
				};
				Insert: {
					author_id?: string | null;
					body: string;
					conversation_id: string;
					created_at?: string;
					id?: string;
					mentioned_user_ids?: string[];
					tenant_id: string;
				};
				Update: {
					author_id?: string | null;
					body?: string;
					conversation_id?: string;
					created_at?: string;
					id?: string;
					mentioned_user_ids?: string[];
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'conversation_notes_conversation_id_fkey';
						columns: ['conversation_id'];
						isOneToOne: false;
						referencedRelation: 'conversations';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversation_notes_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			conversation_report_days: {
				Row: {
					ai_answered: number;
					ai_responses: number;
					ai_seconds: NonNullable<Json>;
					day: string;
					escalated: number;
					escalation_reasons: NonNullable<Json>;
					human_responses: number;
					human_seconds: NonNullable<Json>;
					inbound_hours: NonNullable<Json>;
					member_id: string | null;
					messages_ai: number;
					messages_any: number;
					messages_human: number;
					messages_in: number;
					negative: number;
					neutral: number;
					number_id: string;
					opened: number;
					own_first_replies: number;
					own_resolved: number;
					own_response_seconds: NonNullable<Json>;
					own_responses: number;
					positive: number;
					resolution_seconds: NonNullable<Json>;
					resolved: number;
					resolved_by_ai: number;
					tenant_id: string;
				};
				Insert: {
					ai_answered?: number;
					ai_responses?: number;
					ai_seconds?: NonNullable<Json>;
					day: string;
					escalated?: number;
					escalation_reasons?: NonNullable<Json>;
					human_responses?: number;
					human_seconds?: NonNullable<Json>;
					inbound_hours?: NonNullable<Json>;
					member_id?: string | null;
					messages_ai?: number;
					messages_any?: number;
					messages_human?: number;
					messages_in?: number;
					negative?: number;
					neutral?: number;
					number_id: string;
					opened?: number;
					own_first_replies?: number;
					own_resolved?: number;
					own_response_seconds?: NonNullable<Json>;
					own_responses?: number;
					positive?: number;
					resolution_seconds?: NonNullable<Json>;
					resolved?: number;
					resolved_by_ai?: number;
					tenant_id: string;
				};
				Update: {
					ai_answered?: number;
					ai_responses?: number;
					ai_seconds?: NonNullable<Json>;
					day?: string;
					escalated?: number;
					escalation_reasons?: NonNullable<Json>;
					human_responses?: number;
					human_seconds?: NonNullable<Json>;
					inbound_hours?: NonNullable<Json>;
					member_id?: string | null;
					messages_ai?: number;
					messages_any?: number;
					messages_human?: number;
					messages_in?: number;
					negative?: number;
					neutral?: number;
					number_id?: string;
					opened?: number;
					own_first_replies?: number;
					own_resolved?: number;
					own_response_seconds?: NonNullable<Json>;
					own_responses?: number;
					positive?: number;
					resolution_seconds?: NonNullable<Json>;
					resolved?: number;
					resolved_by_ai?: number;
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'conversation_report_days_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			conversations: {
				Row: {
					activity_at: string | null;
					ai_active: boolean;
					assigned_at: string | null;
					assignee_id: string | null;
					contact_id: string;
					created_at: string;
					escalated_at: string | null;
					id: string;
					insights_at: string | null;
					insights_message_id: string | null;
					insights_source: string | null;
					label_ids: string[];
					last_inbound_at: string | null;
					last_message_at: string | null;
					last_message_direction: string | null;
					last_message_preview: string | null;
					last_message_sender: string | null;
					last_message_sender_user_id: string | null;
					number_id: string;
					sentiment: string | null;
					sentiment_score: number | null;
					snoozed_until: string | null;
					status: string;
					summary: string | null;
					tenant_id: string;
					unread_count: number;
					updated_at: string;
				};
				Insert: {
					activity_at?: never;
					ai_active?: boolean;
					assigned_at?: string | null;
					assignee_id?: string | null;
					contact_id: string;
					created_at?: string;
					escalated_at?: string | null;
					id?: string;
					insights_at?: string | null;
					insights_message_id?: string | null;
					insights_source?: string | null;
					label_ids?: string[];
					last_inbound_at?: string | null;
					last_message_at?: string | null;
					last_message_direction?: string | null;
					last_message_preview?: string | null;
					last_message_sender?: string | null;
					last_message_sender_user_id?: string | null;
					number_id: string;
					sentiment?: string | null;
					sentiment_score?: number | null;
					snoozed_until?: string | null;
					status?: string;
					summary?: string | null;
					tenant_id: string;
					unread_count?: number;
					updated_at?: string;
				};
				Update: {
					activity_at?: never;
					ai_active?: boolean;
					assigned_at?: string | null;
					assignee_id?: string | null;
					contact_id?: string;
					created_at?: string;
					escalated_at?: string | null;
					id?: string;
					insights_at?: string | null;
					insights_message_id?: string | null;
					insights_source?: string | null;
					label_ids?: string[];
					last_inbound_at?: string | null;
					last_message_at?: string | null;
					last_message_direction?: string | null;
					last_message_preview?: string | null;
					last_message_sender?: string | null;
					last_message_sender_user_id?: string | null;
					number_id?: string;
					sentiment?: string | null;
					sentiment_score?: number | null;
					snoozed_until?: string | null;
					status?: string;
					summary?: string | null;
					tenant_id?: string;
					unread_count?: number;
					updated_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'conversations_assignee_membership_fkey';
						columns: ['tenant_id', 'assignee_id'];
						isOneToOne: false;
						referencedRelation: 'memberships';
						referencedColumns: ['tenant_id', 'user_id'];
					},
					{
						foreignKeyName: 'conversations_contact_id_fkey';
						columns: ['contact_id'];
						isOneToOne: false;
						referencedRelation: 'contacts';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversations_insights_message_id_fkey';
						columns: ['insights_message_id'];
						isOneToOne: false;
						referencedRelation: 'messages';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversations_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: false;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'conversations_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			integration_secrets: {
				Row: {
					auth_token_ciphertext: string;
					auth_token_last4: string;
					integration_id: string;
					updated_at: string;
				};
				Insert: {
					auth_token_ciphertext: string;
					auth_token_last4: string;
					integration_id: string;
					updated_at?: string;
				};
				Update: {
					auth_token_ciphertext?: string;
					auth_token_last4?: string;
					integration_id?: string;
					updated_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'integration_secrets_integration_id_fkey';
						columns: ['integration_id'];
						isOneToOne: true;
						referencedRelation: 'integrations';
						referencedColumns: ['id'];
					}
				];
			};
			integrations: {
				Row: {
					account_name: string | null;
					account_sid: string;
					connected_by: string | null;
					created_at: string;
					id: string;
					last_error: string | null;
					provider: string;
					status: string;
					tenant_id: string;
					updated_at: string;
					verified_at: string;
				};
				Insert: {
					account_name?: string | null;
					account_sid: string;
					connected_by?: string | null;
					created_at?: string;
					id?: string;
					last_error?: string | null;
					provider: string;
					status?: string;
					tenant_id: string;
					updated_at?: string;
					verified_at?: string;
				};
				Update: {
					account_name?: string | null;
					account_sid?: string;
					connected_by?: string | null;
					created_at?: string;
					id?: string;
					last_error?: string | null;
					provider?: string;
					status?: string;
					tenant_id?: string;
					updated_at?: string;
					verified_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'integrations_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			invitations: {
				Row: {
					accepted_at: string | null;
					accepted_by: string | null;
					created_at: string;
					email: string;
					expires_at: string;
					id: string;
					invited_by: string | null;
					role: Database['public']['Enums']['member_role'];
					tenant_id: string;
					token_hash: string;
				};
				Insert: {
					accepted_at?: string | null;
					accepted_by?: string | null;
					created_at?: string;
					email: string;
					expires_at?: string;
					id?: string;
					invited_by?: string | null;
					role?: Database['public']['Enums']['member_role'];
					tenant_id: string;
					token_hash: string;
				};
				Update: {
					accepted_at?: string | null;
					accepted_by?: string | null;
					created_at?: string;
					email?: string;
					expires_at?: string;
					id?: string;
					invited_by?: string | null;
					role?: Database['public']['Enums']['member_role'];
					tenant_id?: string;
					token_hash?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'invitations_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			knowledge_passages: {
				Row: {
					agent_id: string;
					body: string;
					heading: string;
					id: string;
					language: unknown;
					position: number;
					search: unknown;
					source_id: string;
					tenant_id: string;
				};
				Insert: {
					agent_id: string;
					body: string;
					heading: string;
					id?: string;
					language: unknown;
					position: number;
					search?: never;
					source_id: string;
					tenant_id: string;
				};
				Update: {
					agent_id?: string;
					body?: string;
					heading?: string;
					id?: string;
					language?: unknown;
					position?: number;
					search?: never;
					source_id?: string;
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'knowledge_passages_agent_id_fkey';
						columns: ['agent_id'];
						isOneToOne: false;
						referencedRelation: 'ai_agents';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'knowledge_passages_source_id_fkey';
						columns: ['source_id'];
						isOneToOne: false;
						referencedRelation: 'knowledge_sources';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'knowledge_passages_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			knowledge_sources: {
				Row: {
					agent_id: string;
					body: string;
					byte_size: number | null;
					content_type: string | null;
					created_at: string;
					created_by: string | null;
					file_name: string | null;
					id: string;
					kind: string;
					passage_count: number;
					storage_path: string | null;
					tenant_id: string;
					title: string;
					updated_at: string;
				};
				Insert: {
					agent_id: string;
					body?: string;
					byte_size?: number | null;
					content_type?: string | null;
					created_at?: string;
					created_by?: string | null;
					file_name?: string | null;
					id?: string;
					kind: string;
					passage_count?: number;
					storage_path?: string | null;
					tenant_id: string;
					title: string;
					updated_at?: string;
				};
				Update: {
					agent_id?: string;
					body?: string;
					byte_size?: number | null;
					content_type?: string | null;
					created_at?: string;
					created_by?: string | null;
					file_name?: string | null;
					id?: string;
					kind?: string;
					passage_count?: number;
					storage_path?: string | null;
					tenant_id?: string;
					title?: string;
					updated_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'knowledge_sources_agent_id_fkey';
						columns: ['agent_id'];
						isOneToOne: false;
						referencedRelation: 'ai_agents';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'knowledge_sources_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			knowledge_words: {
				Row: {
					agent_id: string;
					tenant_id: string;
					word: string;
				};
				Insert: {
					agent_id: string;
					tenant_id: string;
					word: string;
				};
				Update: {
					agent_id?: string;
					tenant_id?: string;
					word?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'knowledge_words_agent_id_fkey';
						columns: ['agent_id'];
						isOneToOne: false;
						referencedRelation: 'ai_agents';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'knowledge_words_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			labels: {
				Row: {
					colour: string;
					created_at: string;
					created_by: string | null;
					id: string;
					name: string;
					tenant_id: string;
					updated_at: string;
				};
				Insert: {
					colour?: string;
					created_at?: string;
					created_by?: string | null;
					id?: string;
					name: string;
					tenant_id: string;
					updated_at?: string;
				};
				Update: {
					colour?: string;
					created_at?: string;
					created_by?: string | null;
					id?: string;
					name?: string;
					tenant_id?: string;
					updated_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'labels_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			member_availability: {
				Row: {
					available: boolean;
					tenant_id: string;
					updated_at: string;
					user_id: string;
				};
				Insert: {
					available?: boolean;
					tenant_id: string;
					updated_at?: string;
					user_id: string;
				};
				Update: {
					available?: boolean;
					tenant_id?: string;
					updated_at?: string;
					user_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'member_availability_membership_fkey';
						columns: ['tenant_id', 'user_id'];
						isOneToOne: true;
						referencedRelation: 'memberships';
						referencedColumns: ['tenant_id', 'user_id'];
					}
				];
			};
			memberships: {
				Row: {
					created_at: string;
					role: Database['public']['Enums']['member_role'];
					tenant_id: string;
					user_id: string;
				};
				Insert: {
					created_at?: string;
					role?: Database['public']['Enums']['member_role'];
					tenant_id: string;
					user_id: string;
				};
				Update: {
					created_at?: string;
					role?: Database['public']['Enums']['member_role'];
					tenant_id?: string;
					user_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'memberships_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			message_reactions: {
				Row: {
					conversation_id: string;
					emoji: string;
					id: string;
					message_id: string | null;
					provider_message_id: string | null;
					reacted_at: string;
					reactor: string;
					target_provider_id: string;
					tenant_id: string;
				};
				Insert: {
					conversation_id: string;
					emoji: string;
					id?: string;
					message_id?: string | null;
					provider_message_id?: string | null;
					reacted_at?: string;
					reactor?: string;
					target_provider_id: string;
					tenant_id: string;
				};
				Update: {
					conversation_id?: string;
					emoji?: string;
					id?: string;
					message_id?: string | null;
					provider_message_id?: string | null;
					reacted_at?: string;
					reactor?: string;
					target_provider_id?: string;
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'message_reactions_conversation_id_fkey';
						columns: ['conversation_id'];
						isOneToOne: false;
						referencedRelation: 'conversations';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'message_reactions_message_id_fkey';
						columns: ['message_id'];
						isOneToOne: false;
						referencedRelation: 'messages';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'message_reactions_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			message_volume: {
				Row: {
					bucket_at: string;
					direction: string;
					messages: number;
					number_id: string;
					sender: string;
					sender_user_id: string | null;
					tenant_id: string;
				};
				Insert: {
					bucket_at: string;
					direction: string;
					messages: number;
					number_id: string;
					sender: string;
					sender_user_id?: string | null;
					tenant_id: string;
				};
				Update: {
					bucket_at?: string;
					direction?: string;
					messages?: number;
					number_id?: string;
					sender?: string;
					sender_user_id?: string | null;
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'message_volume_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: false;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'message_volume_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			messages: {
				Row: {
					body: string | null;
					citations: Json | null;
					content: Json | null;
					conversation_id: string;
					created_at: string;
					delivered_at: string | null;
					direction: string;
					error_code: string | null;
					error_message: string | null;
					failed_at: string | null;
					id: string;
					location: Json | null;
					media: Json | null;
					provider: string;
					provider_message_id: string | null;
					queued_at: string | null;
					read_at: string | null;
					reply_to_message_id: string | null;
					reply_to_provider_id: string | null;
					sender: string;
					sender_user_id: string | null;
					sent_at: string | null;
					status: string;
					tenant_id: string;
					type: string;
					updated_at: string;
				};
				Insert: {
					body?: string | null;
					citations?: Json | null;
					content?: Json | null;
					conversation_id: string;
					created_at?: string;
					delivered_at?: string | null;
					direction: string;
					error_code?: string | null;
					error_message?: string | null;
					failed_at?: string | null;
					id?: string;
					location?: Json | null;
					media?: Json | null;
					provider: string;
					provider_message_id?: string | null;
					queued_at?: string | null;
					read_at?: string | null;
					reply_to_message_id?: string | null;
					reply_to_provider_id?: string | null;
					sender: string;
					sender_user_id?: string | null;
					sent_at?: string | null;
					status: string;
					tenant_id: string;
					type?: string;
					updated_at?: string;
				};
				Update: {
					body?: string | null;
					citations?: Json | null;
					content?: Json | null;
					conversation_id?: string;
					created_at?: string;
					delivered_at?: string | null;
					direction?: string;
					error_code?: string | null;
					error_message?: string | null;
					failed_at?: string | null;
					id?: string;
					location?: Json | null;
					media?: Json | null;
					provider?: string;
					provider_message_id?: string | null;
					queued_at?: string | null;
					read_at?: string | null;
					reply_to_message_id?: string | null;
					reply_to_provider_id?: string | null;
					sender?: string;
					sender_user_id?: string | null;
					sent_at?: string | null;
					status?: string;
					tenant_id?: string;
					type?: string;
					updated_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'messages_conversation_id_fkey';
						columns: ['conversation_id'];
						isOneToOne: false;
						referencedRelation: 'conversations';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'messages_reply_to_message_id_fkey';
						columns: ['reply_to_message_id'];
						isOneToOne: false;
						referencedRelation: 'messages';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'messages_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			notifications: {
				Row: {
					body: string | null;
					conversation_id: string | null;
					created_at: string;
					id: string;
					kind: string;
					message_id: string | null;
					number_id: string | null;
					read_at: string | null;
					recipient_id: string;
					tenant_id: string;
					title: string;
				};
				Insert: {
					body?: string | null;
					conversation_id?: string | null;
					created_at?: string;
					id?: string;
					kind: string;
					message_id?: string | null;
					number_id?: string | null;
					read_at?: string | null;
					recipient_id: string;
					tenant_id: string;
					title: string;
				};
				Update: {
					body?: string | null;
					conversation_id?: string | null;
					created_at?: string;
					id?: string;
					kind?: string;
					message_id?: string | null;
					number_id?: string | null;
					read_at?: string | null;
					recipient_id?: string;
					tenant_id?: string;
					title?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'notifications_conversation_id_fkey';
						columns: ['conversation_id'];
						isOneToOne: false;
						referencedRelation: 'conversations';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'notifications_message_id_fkey';
						columns: ['message_id'];
						isOneToOne: false;
						referencedRelation: 'messages';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'notifications_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: false;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'notifications_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			number_round_robin: {
				Row: {
					enabled: boolean;
					number_id: string;
					tenant_id: string;
					updated_at: string;
					updated_by: string | null;
				};
				Insert: {
					enabled?: boolean;
					number_id: string;
					tenant_id: string;
					updated_at?: string;
					updated_by?: string | null;
				};
				Update: {
					enabled?: boolean;
					number_id?: string;
					tenant_id?: string;
					updated_at?: string;
					updated_by?: string | null;
				};
				Relationships: [
					{
						foreignKeyName: 'number_round_robin_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: true;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'number_round_robin_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			profiles: {
				Row: {
					avatar_initials: string;
					created_at: string;
					display_name: string;
					email: string;
					id: string;
					updated_at: string;
				};
				Insert: {
					avatar_initials?: string;
					created_at?: string;
					display_name: string;
					email?: string;
					id: string;
					updated_at?: string;
				};
				Update: {
					avatar_initials?: string;
					created_at?: string;
					display_name?: string;
					email?: string;
					id?: string;
					updated_at?: string;
				};
				Relationships: [];
			};
			tenants: {
				Row: {
					created_at: string;
					id: string;
					name: string;
					reopen_archived_on_inbound: boolean;
					slug: string;
					time_zone: string;
				};
				Insert: {
					created_at?: string;
					id?: string;
					name: string;
					reopen_archived_on_inbound?: boolean;
					slug: string;
					time_zone?: string;
				};
				Update: {
					created_at?: string;
					id?: string;
					name?: string;
					reopen_archived_on_inbound?: boolean;
					slug?: string;
					time_zone?: string;
				};
				Relationships: [];
			};
			webhook_events: {
				Row: {
					error: string | null;
					headers: NonNullable<Json>;
					id: string;
					number_id: string | null;
					processed_at: string | null;
					provider: string;
					raw_body: string;
					received_at: string;
					signature_valid: boolean;
					tenant_id: string | null;
				};
				Insert: {
					error?: string | null;
					headers?: NonNullable<Json>;
					id?: string;
					number_id?: string | null;
					processed_at?: string | null;
					provider: string;
					raw_body: string;
					received_at?: string;
					signature_valid: boolean;
					tenant_id?: string | null;
				};
				Update: {
					error?: string | null;
					headers?: NonNullable<Json>;
					id?: string;
					number_id?: string | null;
					processed_at?: string | null;
					provider?: string;
					raw_body?: string;
					received_at?: string;
					signature_valid?: boolean;
					tenant_id?: string | null;
				};
				Relationships: [
					{
						foreignKeyName: 'webhook_events_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: false;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'webhook_events_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			webhook_item_failures: {
				Row: {
					created_at: string;
					event_id: string | null;
					id: string;
					item: Json | null;
					kind: string;
					number_id: string | null;
					provider_message_id: string | null;
					reason: string;
					tenant_id: string;
				};
				Insert: {
					created_at?: string;
					event_id?: string | null;
					id?: string;
					item?: Json | null;
					kind: string;
					number_id?: string | null;
					provider_message_id?: string | null;
					reason: string;
					tenant_id: string;
				};
				Update: {
					created_at?: string;
					event_id?: string | null;
					id?: string;
					item?: Json | null;
					kind?: string;
					number_id?: string | null;
					provider_message_id?: string | null;
					reason?: string;
					tenant_id?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'webhook_item_failures_event_id_fkey';
						columns: ['event_id'];
						isOneToOne: false;
						referencedRelation: 'webhook_events';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'webhook_item_failures_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: false;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'webhook_item_failures_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			whatsapp_number_secrets: {
				Row: {
					access_token_ciphertext: string;
					access_token_last4: string;
					app_secret_ciphertext: string;
					app_secret_last4: string;
					number_id: string;
					updated_at: string;
					verify_token: string;
				};
				Insert: {
					access_token_ciphertext: string;
					access_token_last4: string;
					app_secret_ciphertext: string;
					app_secret_last4: string;
					number_id: string;
					updated_at?: string;
					verify_token: string;
				};
				Update: {
					access_token_ciphertext?: string;
					access_token_last4?: string;
					app_secret_ciphertext?: string;
					app_secret_last4?: string;
					number_id?: string;
					updated_at?: string;
					verify_token?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'whatsapp_number_secrets_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: true;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					}
				];
			};
			whatsapp_numbers: {
				Row: {
					active: boolean;
					address: string | null;
					assigned_agent_id: string | null;
					business_account_id: string | null;
					connected_by: string | null;
					created_at: string;
					display_name: string;
					id: string;
					integration_id: string | null;
					last_error: string | null;
					last_webhook_at: string | null;
					needs_attention: boolean;
					phone_number_id: string | null;
					provider: string;
					provider_notice: string | null;
					provider_notice_at: string | null;
					tenant_id: string;
					updated_at: string;
				};
				Insert: {
					active?: boolean;
					address?: string | null;
					assigned_agent_id?: string | null;
					business_account_id?: string | null;
					connected_by?: string | null;
					created_at?: string;
					display_name: string;
					id?: string;
					integration_id?: string | null;
					last_error?: string | null;
					last_webhook_at?: string | null;
					needs_attention?: boolean;
					phone_number_id?: string | null;
					provider: string;
					provider_notice?: string | null;
					provider_notice_at?: string | null;
					tenant_id: string;
					updated_at?: string;
				};
				Update: {
					active?: boolean;
					address?: string | null;
					assigned_agent_id?: string | null;
					business_account_id?: string | null;
					connected_by?: string | null;
					created_at?: string;
					display_name?: string;
					id?: string;
					integration_id?: string | null;
					last_error?: string | null;
					last_webhook_at?: string | null;
					needs_attention?: boolean;
					phone_number_id?: string | null;
					provider?: string;
					provider_notice?: string | null;
					provider_notice_at?: string | null;
					tenant_id?: string;
					updated_at?: string;
				};
				Relationships: [
					{
						foreignKeyName: 'whatsapp_numbers_assigned_agent_id_fkey';
						columns: ['assigned_agent_id'];
						isOneToOne: false;
						referencedRelation: 'ai_agents';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'whatsapp_numbers_integration_id_fkey';
						columns: ['integration_id'];
						isOneToOne: false;
						referencedRelation: 'integrations';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'whatsapp_numbers_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
			whatsapp_templates: {
				Row: {
					body: string;
					buttons: NonNullable<Json>;
					category: string | null;
					footer: string | null;
					header: string | null;
					header_format: string | null;
					header_variables: NonNullable<Json>;
					id: string;
					language: string;
					name: string;
					number_id: string;
					provider: string;
					provider_template_id: string;
					rejection_reason: string | null;
					status: string;
					synced_at: string;
					tenant_id: string;
					variables: NonNullable<Json>;
				};
				Insert: {
					body: string;
					buttons?: NonNullable<Json>;
					category?: string | null;
					footer?: string | null;
					header?: string | null;
					header_format?: string | null;
					header_variables?: NonNullable<Json>;
					id?: string;
					language: string;
					name: string;
					number_id: string;
					provider: string;
					provider_template_id: string;
					rejection_reason?: string | null;
					status: string;
					synced_at?: string;
					tenant_id: string;
					variables?: NonNullable<Json>;
				};
				Update: {
					body?: string;
					buttons?: NonNullable<Json>;
					category?: string | null;
					footer?: string | null;
					header?: string | null;
					header_format?: string | null;
					header_variables?: NonNullable<Json>;
					id?: string;
					language?: string;
					name?: string;
					number_id?: string;
					provider?: string;
					provider_template_id?: string;
					rejection_reason?: string | null;
					status?: string;
					synced_at?: string;
					tenant_id?: string;
					variables?: NonNullable<Json>;
				};
				Relationships: [
					{
						foreignKeyName: 'whatsapp_templates_number_id_fkey';
						columns: ['number_id'];
						isOneToOne: false;
						referencedRelation: 'whatsapp_numbers';
						referencedColumns: ['id'];
					},
					{
						foreignKeyName: 'whatsapp_templates_tenant_id_fkey';
						columns: ['tenant_id'];
						isOneToOne: false;
						referencedRelation: 'tenants';
						referencedColumns: ['id'];
					}
				];
			};
		};
		Views: {
			[_ in never]: never;
		};
		Functions: {
			accept_invitation: {
				Args: { token: string };
				Returns: {
					created_at: string;
					id: string;
					name: string;
					reopen_archived_on_inbound: boolean;
					slug: string;
					time_zone: string;
				};
				SetofOptions: {
					from: '*';
					to: 'tenants';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			ai_claim_reply: { Args: { conversation_id: string; generation: number }; Returns: boolean };
			ai_escalate: { Args: { conversation_id: string; reason: string }; Returns: boolean };
			ai_hand_over: {
				Args: { conversation_id: string; handover?: string; reason: string };
				Returns: Json;
			};
			ai_record_failure: { Args: { conversation_id: string; sentence: string }; Returns: number };
			ai_record_success: { Args: { conversation_id: string }; Returns: undefined };
			ai_release_reply: { Args: { conversation_id: string; generation: number }; Returns: number };
			ai_reply_generation: { Args: { conversation_id: string }; Returns: number };
			ai_request_reply: { Args: { conversation_id: string }; Returns: number };
			assign_conversation: {
				Args: { assignee_id?: string; conversation_id: string };
				Returns: {
					activity_at: string | null;
					ai_active: boolean;
					assigned_at: string | null;
					assignee_id: string | null;
					contact_id: string;
					created_at: string;
					escalated_at: string | null;
					id: string;
					insights_at: string | null;
					insights_message_id: string | null;
					insights_source: string | null;
					label_ids: string[];
					last_inbound_at: string | null;
					last_message_at: string | null;
					last_message_direction: string | null;
					last_message_preview: string | null;
					last_message_sender: string | null;
					last_message_sender_user_id: string | null;
					number_id: string;
					sentiment: string | null;
					sentiment_score: number | null;
					snoozed_until: string | null;
					status: string;
					summary: string | null;
					tenant_id: string;
					unread_count: number;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'conversations';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			change_member_role: {
				Args: { role: string; tenant_id: string; user_id: string };
				Returns: {
					created_at: string;
					role: Database['public']['Enums']['member_role'];
					tenant_id: string;
					user_id: string;
				};
				SetofOptions: {
					from: '*';
					to: 'memberships';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			connect_whatsapp_number: {
				Args: {
					access_token_ciphertext?: string;
					access_token_last4?: string;
					active?: boolean;
					address?: string;
					app_secret_ciphertext?: string;
					app_secret_last4?: string;
					assigned_agent_id?: string;
					business_account_id?: string;
					connected_by?: string;
					display_name: string;
					integration_id?: string;
					phone_number_id?: string;
					provider: string;
					tenant_id: string;
					verify_token?: string;
				};
				Returns: {
					active: boolean;
					address: string | null;
					assigned_agent_id: string | null;
					business_account_id: string | null;
					connected_by: string | null;
					created_at: string;
					display_name: string;
					id: string;
					integration_id: string | null;
					last_error: string | null;
					last_webhook_at: string | null;
					needs_attention: boolean;
					phone_number_id: string | null;
					provider: string;
					provider_notice: string | null;
					provider_notice_at: string | null;
					tenant_id: string;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'whatsapp_numbers';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			contact_conversations: {
				Args: { contact_id: string; except_id?: string; page_size?: number };
				Returns: {
					activity_at: string;
					created_at: string;
					id: string;
					last_message_direction: string;
					last_message_preview: string;
					number_address: string;
					number_id: string;
					number_name: string;
					status: string;
				}[];
			};
			conversation_report: {
				Args: {
					first_day: string;
					last_day: string;
					member_id?: string;
					number_id?: string;
					tenant_id: string;
				};
				Returns: Json;
			};
			count_report_messages: { Args: { tenant_id: string }; Returns: undefined };
			create_tenant: {
				Args: { name: string; slug: string };
				Returns: {
					created_at: string;
					id: string;
					name: string;
					reopen_archived_on_inbound: boolean;
					slug: string;
					time_zone: string;
				};
				SetofOptions: {
					from: '*';
					to: 'tenants';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			current_member_role: { Args: { tenant_id: string }; Returns: string };
			flag_number_credentials: { Args: { error: string; number_id: string }; Returns: boolean };
			inbox_conversations: {
				Args: {
					after_activity_at?: string;
					after_id?: string;
					label_id?: string;
					number_id?: string;
					only_id?: string;
					page_size?: number;
					search?: string;
					sentiment?: string;
					status?: string;
					tenant_id: string;
					unread_only?: boolean;
					view?: string;
				};
				Returns: {
					activity_at: string;
					ai_active: boolean;
					assigned_at: string;
					assignee_id: string;
					assignee_name: string;
					contact_id: string;
					contact_name: string;
					contact_user_id: string;
					contact_username: string;
					contact_wa_id: string;
					created_at: string;
					escalated_at: string;
					id: string;
					insights_at: string;
					label_ids: string[];
					last_inbound_at: string;
					last_message_at: string;
					last_message_direction: string;
					last_message_preview: string;
					last_message_sender: string;
					last_message_sender_name: string;
					last_message_sender_user_id: string;
					number_address: string;
					number_id: string;
					number_name: string;
					number_provider: string;
					sentiment: string;
					snoozed_until: string;
					status: string;
					summary: string;
					tenant_id: string;
					unread_count: number;
				}[];
			};
			inbox_view_counts: {
				Args: { label_id?: string; number_id?: string; status?: string; tenant_id: string };
				Returns: {
					all_conversations: number;
					escalated: number;
					mine: number;
					snoozed: number;
					unassigned: number;
				}[];
			};
			ingest_whatsapp_delivery: {
				Args: {
					credentials?: Json;
					events?: Json;
					headers: Json;
					messages?: Json;
					number_id: string;
					parse_error?: string;
					provider: string;
					raw_body: string;
					rejected?: Json;
					statuses?: Json;
				};
				Returns: Json;
			};
			invitation_preview: {
				Args: { token: string };
				Returns: {
					accepted: boolean;
					email: string;
					expired: boolean;
					expires_at: string;
					invited_by_name: string;
					role: Database['public']['Enums']['member_role'];
					tenant_name: string;
					tenant_slug: string;
				}[];
			};
			invite_member: { Args: { email: string; role?: string; tenant_id: string }; Returns: string };
			keep_unprocessed_delivery: {
				Args: {
					error: string;
					headers: Json;
					number_id: string;
					provider: string;
					raw_body: string;
				};
				Returns: string;
			};
			label_conversation: {
				Args: { conversation_id: string; label_id: string };
				Returns: {
					activity_at: string | null;
					ai_active: boolean;
					assigned_at: string | null;
					assignee_id: string | null;
					contact_id: string;
					created_at: string;
					escalated_at: string | null;
					id: string;
					insights_at: string | null;
					insights_message_id: string | null;
					insights_source: string | null;
					label_ids: string[];
					last_inbound_at: string | null;
					last_message_at: string | null;
					last_message_direction: string | null;
					last_message_preview: string | null;
					last_message_sender: string | null;
					last_message_sender_user_id: string | null;
					number_id: string;
					sentiment: string | null;
					sentiment_score: number | null;
					snoozed_until: string | null;
					status: string;
					summary: string | null;
					tenant_id: string;
					unread_count: number;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'conversations';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			leave_tenant: { Args: { tenant_id: string }; Returns: undefined };
			mark_all_notifications_read: { Args: { tenant_id: string }; Returns: number };
			match_knowledge: {
				Args: { agent_id: string; match_count?: number; query: string };
				Returns: {
					body: string;
					heading: string;
					passage_id: string;
					score: number;
					source_id: string;
					source_title: string;
				}[];
			};
			message_status_advances: { Args: { current: string; next: string }; Returns: boolean };
			message_status_rank: { Args: { status: string }; Returns: number };
			meta_verify_token_exists: { Args: { verify_token: string }; Returns: boolean };
			meta_webhook_numbers: {
				Args: { business_account_ids?: string[]; phone_number_ids: string[] };
				Returns: {
					app_secret_ciphertext: string;
					business_account_id: string;
					number_id: string;
					phone_number_id: string;
					tenant_id: string;
				}[];
			};
			number_send_credentials: {
				Args: { number_id: string };
				Returns: {
					account_sid: string;
					address: string;
					phone_number_id: string;
					provider: string;
					secret_ciphertext: string;
				}[];
			};
			queue_ai_message: {
				Args: { body: string; citations?: Json; conversation_id: string };
				Returns: {
					body: string | null;
					citations: Json | null;
					content: Json | null;
					conversation_id: string;
					created_at: string;
					delivered_at: string | null;
					direction: string;
					error_code: string | null;
					error_message: string | null;
					failed_at: string | null;
					id: string;
					location: Json | null;
					media: Json | null;
					provider: string;
					provider_message_id: string | null;
					queued_at: string | null;
					read_at: string | null;
					reply_to_message_id: string | null;
					reply_to_provider_id: string | null;
					sender: string;
					sender_user_id: string | null;
					sent_at: string | null;
					status: string;
					tenant_id: string;
					type: string;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'messages';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			queue_outbound_message: {
				Args: { body?: string; conversation_id: string; media?: Json; template?: Json };
				Returns: {
					body: string | null;
					citations: Json | null;
					content: Json | null;
					conversation_id: string;
					created_at: string;
					delivered_at: string | null;
					direction: string;
					error_code: string | null;
					error_message: string | null;
					failed_at: string | null;
					id: string;
					location: Json | null;
					media: Json | null;
					provider: string;
					provider_message_id: string | null;
					queued_at: string | null;
					read_at: string | null;
					reply_to_message_id: string | null;
					reply_to_provider_id: string | null;
					sender: string;
					sender_user_id: string | null;
					sent_at: string | null;
					status: string;
					tenant_id: string;
					type: string;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'messages';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			record_credentials_working: { Args: { number_ids: string[] }; Returns: undefined };
			record_message_failed: {
				Args: { error_code: string; error_message: string; message_id: string };
				Returns: {
					body: string | null;
					citations: Json | null;
					content: Json | null;
					conversation_id: string;
					created_at: string;
					delivered_at: string | null;
					direction: string;
					error_code: string | null;
					error_message: string | null;
					failed_at: string | null;
					id: string;
					location: Json | null;
					media: Json | null;
					provider: string;
					provider_message_id: string | null;
					queued_at: string | null;
					read_at: string | null;
					reply_to_message_id: string | null;
					reply_to_provider_id: string | null;
					sender: string;
					sender_user_id: string | null;
					sent_at: string | null;
					status: string;
					tenant_id: string;
					type: string;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'messages';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			record_message_media_path: {
				Args: { media_index?: number; message_id: string; storage_path: string };
				Returns: boolean;
			};
			record_message_sent: {
				Args: { message_id: string; provider_message_id: string; status?: string };
				Returns: {
					body: string | null;
					citations: Json | null;
					content: Json | null;
					conversation_id: string;
					created_at: string;
					delivered_at: string | null;
					direction: string;
					error_code: string | null;
					error_message: string | null;
					failed_at: string | null;
					id: string;
					location: Json | null;
					media: Json | null;
					provider: string;
					provider_message_id: string | null;
					queued_at: string | null;
					read_at: string | null;
					reply_to_message_id: string | null;
					reply_to_provider_id: string | null;
					sender: string;
					sender_user_id: string | null;
					sent_at: string | null;
					status: string;
					tenant_id: string;
					type: string;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'messages';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			remove_member: { Args: { tenant_id: string; user_id: string }; Returns: undefined };
			rename_contact: {
				Args: { contact_id: string; name: string };
				Returns: {
					created_at: string;
					id: string;
					note: string | null;
					note_updated_at: string | null;
					note_updated_by: string | null;
					parent_user_id: string | null;
					profile_name: string | null;
					renamed_at: string | null;
					renamed_by: string | null;
					tenant_id: string;
					updated_at: string;
					user_id: string | null;
					username: string | null;
					wa_id: string | null;
					whatsapp_name: string | null;
				};
				SetofOptions: {
					from: '*';
					to: 'contacts';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			requeue_failed_message: {
				Args: { message_id: string };
				Returns: {
					body: string | null;
					citations: Json | null;
					content: Json | null;
					conversation_id: string;
					created_at: string;
					delivered_at: string | null;
					direction: string;
					error_code: string | null;
					error_message: string | null;
					failed_at: string | null;
					id: string;
					location: Json | null;
					media: Json | null;
					provider: string;
					provider_message_id: string | null;
					queued_at: string | null;
					read_at: string | null;
					reply_to_message_id: string | null;
					reply_to_provider_id: string | null;
					sender: string;
					sender_user_id: string | null;
					sent_at: string | null;
					status: string;
					tenant_id: string;
					type: string;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'messages';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			save_twilio_integration: {
				Args: {
					account_name: string;
					account_sid: string;
					auth_token_ciphertext: string;
					auth_token_last4: string;
					connected_by?: string;
					tenant_id: string;
				};
				Returns: {
					account_name: string | null;
					account_sid: string;
					connected_by: string | null;
					created_at: string;
					id: string;
					last_error: string | null;
					provider: string;
					status: string;
					tenant_id: string;
					updated_at: string;
					verified_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'integrations';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			set_availability: {
				Args: { available: boolean; tenant_id: string };
				Returns: {
					available: boolean;
					tenant_id: string;
					updated_at: string;
					user_id: string;
				};
				SetofOptions: {
					from: '*';
					to: 'member_availability';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			set_contact_note: {
				Args: { contact_id: string; note: string };
				Returns: {
					created_at: string;
					id: string;
					note: string | null;
					note_updated_at: string | null;
					note_updated_by: string | null;
					parent_user_id: string | null;
					profile_name: string | null;
					renamed_at: string | null;
					renamed_by: string | null;
					tenant_id: string;
					updated_at: string;
					user_id: string | null;
					username: string | null;
					wa_id: string | null;
					whatsapp_name: string | null;
				};
				SetofOptions: {
					from: '*';
					to: 'contacts';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			set_round_robin: {
				Args: { enabled: boolean; number_id: string };
				Returns: {
					enabled: boolean;
					number_id: string;
					tenant_id: string;
					updated_at: string;
					updated_by: string | null;
				};
				SetofOptions: {
					from: '*';
					to: 'number_round_robin';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			snooze_conversation: {
				Args: { conversation_id: string; preset?: string; until?: string };
				Returns: {
					activity_at: string | null;
					ai_active: boolean;
					assigned_at: string | null;
					assignee_id: string | null;
					contact_id: string;
					created_at: string;
					escalated_at: string | null;
					id: string;
					insights_at: string | null;
					insights_message_id: string | null;
					insights_source: string | null;
					label_ids: string[];
					last_inbound_at: string | null;
					last_message_at: string | null;
					last_message_direction: string | null;
					last_message_preview: string | null;
					last_message_sender: string | null;
					last_message_sender_user_id: string | null;
					number_id: string;
					sentiment: string | null;
					sentiment_score: number | null;
					snoozed_until: string | null;
					status: string;
					summary: string | null;
					tenant_id: string;
					unread_count: number;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'conversations';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			store_conversation_insights: {
				Args: {
					conversation_id: string;
					message_id: string;
					sentiment: string;
					sentiment_score: number;
					source: string;
					summary: string;
				};
				Returns: {
					activity_at: string | null;
					ai_active: boolean;
					assigned_at: string | null;
					assignee_id: string | null;
					contact_id: string;
					created_at: string;
					escalated_at: string | null;
					id: string;
					insights_at: string | null;
					insights_message_id: string | null;
					insights_source: string | null;
					label_ids: string[];
					last_inbound_at: string | null;
					last_message_at: string | null;
					last_message_direction: string | null;
					last_message_preview: string | null;
					last_message_sender: string | null;
					last_message_sender_user_id: string | null;
					number_id: string;
					sentiment: string | null;
					sentiment_score: number | null;
					snoozed_until: string | null;
					status: string;
					summary: string | null;
					tenant_id: string;
					unread_count: number;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'conversations';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			sync_whatsapp_templates: {
				Args: { number_id: string; templates: Json };
				Returns: {
					body: string;
					buttons: NonNullable<Json>;
					category: string | null;
					footer: string | null;
					header: string | null;
					header_format: string | null;
					header_variables: NonNullable<Json>;
					id: string;
					language: string;
					name: string;
					number_id: string;
					provider: string;
					provider_template_id: string;
					rejection_reason: string | null;
					status: string;
					synced_at: string;
					tenant_id: string;
					variables: NonNullable<Json>;
				}[];
				SetofOptions: {
					from: '*';
					to: 'whatsapp_templates';
					isOneToOne: false;
					isSetofReturn: true;
				};
			};
			tenant_today: { Args: { tenant_id: string }; Returns: string };
			twilio_webhook_number: {
				Args: { account_sid: string; address: string };
				Returns: {
					auth_token_ciphertext: string;
					number_id: string;
					tenant_id: string;
				}[];
			};
			unlabel_conversation: {
				Args: { conversation_id: string; label_id: string };
				Returns: {
					activity_at: string | null;
					ai_active: boolean;
					assigned_at: string | null;
					assignee_id: string | null;
					contact_id: string;
					created_at: string;
					escalated_at: string | null;
					id: string;
					insights_at: string | null;
					insights_message_id: string | null;
					insights_source: string | null;
					label_ids: string[];
					last_inbound_at: string | null;
					last_message_at: string | null;
					last_message_direction: string | null;
					last_message_preview: string | null;
					last_message_sender: string | null;
					last_message_sender_user_id: string | null;
					number_id: string;
					sentiment: string | null;
					sentiment_score: number | null;
					snoozed_until: string | null;
					status: string;
					summary: string | null;
					tenant_id: string;
					unread_count: number;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'conversations';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			unread_notification_count: { Args: { tenant_id: string }; Returns: number };
			unsnooze_conversation: {
				Args: { conversation_id: string };
				Returns: {
					activity_at: string | null;
					ai_active: boolean;
					assigned_at: string | null;
					assignee_id: string | null;
					contact_id: string;
					created_at: string;
					escalated_at: string | null;
					id: string;
					insights_at: string | null;
					insights_message_id: string | null;
					insights_source: string | null;
					label_ids: string[];
					last_inbound_at: string | null;
					last_message_at: string | null;
					last_message_direction: string | null;
					last_message_preview: string | null;
					last_message_sender: string | null;
					last_message_sender_user_id: string | null;
					number_id: string;
					sentiment: string | null;
					sentiment_score: number | null;
					snoozed_until: string | null;
					status: string;
					summary: string | null;
					tenant_id: string;
					unread_count: number;
					updated_at: string;
				};
				SetofOptions: {
					from: '*';
					to: 'conversations';
					isOneToOne: true;
					isSetofReturn: false;
				};
			};
			webhook_credentials: {
				Args: { provider: string; routing: Json };
				Returns: {
					business_account_id: string;
					credential_version: string;
					number_id: string;
					phone_number_id: string;
					secret_ciphertext: string;
					tenant_id: string;
				}[];
			};
		};
		Enums: {
			member_role: 'owner' | 'admin' | 'agent';
		};
		CompositeTypes: {
			[_ in never]: never;
		};
	};
};

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>;

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, 'public'>];

export type Tables<
	DefaultSchemaTableNameOrOptions extends
		| keyof (DefaultSchema['Tables'] & DefaultSchema['Views'])
		| { schema: keyof DatabaseWithoutInternals },
	TableName extends (DefaultSchemaTableNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'] &
				DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Views'])
		: never) = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
	? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'] &
			DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Views'])[TableName] extends {
			Row: infer R;
		}
		? R
		: never
	: DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema['Tables'] & DefaultSchema['Views'])
		? (DefaultSchema['Tables'] & DefaultSchema['Views'])[DefaultSchemaTableNameOrOptions] extends {
				Row: infer R;
			}
			? R
			: never
		: never;

export type TablesInsert<
	DefaultSchemaTableNameOrOptions extends
		keyof DefaultSchema['Tables'] | { schema: keyof DatabaseWithoutInternals },
	TableName extends (DefaultSchemaTableNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables']
		: never) = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
	? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'][TableName] extends {
			Insert: infer I;
		}
		? I
		: never
	: DefaultSchemaTableNameOrOptions extends keyof DefaultSchema['Tables']
		? DefaultSchema['Tables'][DefaultSchemaTableNameOrOptions] extends {
				Insert: infer I;
			}
			? I
			: never
		: never;

export type TablesUpdate<
	DefaultSchemaTableNameOrOptions extends
		keyof DefaultSchema['Tables'] | { schema: keyof DatabaseWithoutInternals },
	TableName extends (DefaultSchemaTableNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables']
		: never) = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
	? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions['schema']]['Tables'][TableName] extends {
			Update: infer U;
		}
		? U
		: never
	: DefaultSchemaTableNameOrOptions extends keyof DefaultSchema['Tables']
		? DefaultSchema['Tables'][DefaultSchemaTableNameOrOptions] extends {
				Update: infer U;
			}
			? U
			: never
		: never;

export type Enums<
	DefaultSchemaEnumNameOrOptions extends
		keyof DefaultSchema['Enums'] | { schema: keyof DatabaseWithoutInternals },
	EnumName extends (DefaultSchemaEnumNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions['schema']]['Enums']
		: never) = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
	? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions['schema']]['Enums'][EnumName]
	: DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema['Enums']
		? DefaultSchema['Enums'][DefaultSchemaEnumNameOrOptions]
		: never;

export type CompositeTypes<
	PublicCompositeTypeNameOrOptions extends
		keyof DefaultSchema['CompositeTypes'] | { schema: keyof DatabaseWithoutInternals },
	CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
		schema: keyof DatabaseWithoutInternals;
	}
		? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions['schema']]['CompositeTypes']
		: never) = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
	? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions['schema']]['CompositeTypes'][CompositeTypeName]
	: PublicCompositeTypeNameOrOptions extends keyof DefaultSchema['CompositeTypes']
		? DefaultSchema['CompositeTypes'][PublicCompositeTypeNameOrOptions]
		: never;

export const Constants = {
	public: {
		Enums: {
			member_role: ['owner', 'admin', 'agent']
		}
	}
} as const;

import type { Session, User } from '@supabase/supabase-js';
import type { SupabasePublicConfig } from '$lib/supabase/config';
import type { ParleyClient } from '$lib/supabase/types';

declare global {
	namespace App {
		/** A session Auth has confirmed, or none. */
		interface SessionInfo {
			session: Session | null;
			user: User | null;
		}
		interface Locals {
			supabase: ParleyClient;
			supabaseConfig: SupabasePublicConfig;
			/** The verified session (Auth is asked once per request, not just the cookie). */
			safeGetSession(): Promise<SessionInfo>;
		}
		interface PageData {
			title?: string;
		}
		// interface Error {}
		// interface PageState {}
		// interface Platform {}
	}
}

export {};

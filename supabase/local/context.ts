import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { Db } from './db.ts';

/** A mail the local stack "sent" (invitations, links); shown by the dev mailbox, never emailed. */
export interface Mail {
	id: string;
	to: string;
	subject: string;
	text: string;
	/** The action link inside the mail (invite, magic link), if any. */
	link?: string;
	sentAt: string;
}

/** Events one part of the stack raises for the others. */
export interface StackEvents {
	/** Sessions ended (sign-out, user deleted or banned): realtime drops sockets using them. */
	'sessions-revoked': [{ userId: string; sessionIds?: string[] }];
	/**
	 * A request that may have written (any but GET, HEAD and OPTIONS) has been answered, so what it
	 * committed can be read: realtime looks for new broadcast rows at once.
	 */
	'request-finished': [];
}

/** What every service of the stack shares. */
export interface StackContext {
	db: Db;
	/** Public base URL of the stack, e.g. http://127.0.0.1:54321. */
	url: string;
	/** The `supabase/` folder (config.toml, migrations, functions). */
	supabaseDir: string;
	mailbox: Mail[];
	events: EventEmitter<StackEvents>;
	/** Dev mode: functions reload on change. */
	dev: boolean;
}

/** One protocol of the stack (auth, rest, realtime, functions), mounted under its prefix. */
export interface StackService {
	/** Handles a request whose path, prefix stripped, is `subpath` (always starts with '/'). */
	fetch(request: Request, subpath: string): Promise<Response>;
	/** Takes over a websocket upgrade for a path under the prefix. */
	upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): void;
	close?(): Promise<void>;
}

/**
 * A protocol served on Node's own request and response streams, where a Web `Request` and
 * `Response` would cost more than the work itself (the functions proxy streams every body through).
 */
export interface NodeStackService extends Omit<StackService, 'fetch'> {
	/**
	 * Answers a request whose path, prefix stripped, is `subpath` and whose query is `search`
	 * ('' or starting with '?'); it writes the whole response.
	 */
	serve(
		request: IncomingMessage,
		response: ServerResponse,
		subpath: string,
		search: string
	): Promise<void>;
}

/**
 * What the stack and its Realtime fan-out process say to each other over the IPC channel (JSON).
 * The stack keeps the database (broadcast rows, RLS checks); the fan-out process keeps the sockets.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JwtClaims } from '../jwt.ts';
import type { ChannelPolicies } from './authorization.ts';

/** A broadcast body as JSON can carry it: binary bodies travel as base64. */
export type WireBody = { json: string } | { base64: string };

/** One broadcast to every socket joined to its topic. */
export interface WireBroadcast {
	topic: string;
	private: boolean;
	event: string;
	body: WireBody;
	meta?: Record<string, unknown>;
}

/** From the stack to the fan-out process. */
export type ToFanout =
	/** Sent with the upgraded socket as the handle. */
	| { type: 'upgrade'; url: string; headers: IncomingHttpHeaders; head: string }
	/** The broadcasts of one tick of the stack (a batch of committed rows), in order. */
	| { type: 'broadcasts'; items: WireBroadcast[] }
	| { type: 'resync'; message: string }
	/** A re-check of one user's private channels, or of everyone's without `userId`. */
	| { type: 'recheck'; id: number; userId?: string }
	| { type: 'revoke'; userId: string; sessionIds?: string[] }
	| { type: 'authorized'; id: number; policies?: ChannelPolicies; error?: string }
	/** The stack has heard a `watch` and sends that topic's broadcasts from now on. */
	| { type: 'watching'; id: number }
	| { type: 'close' };

/** From the fan-out process to the stack. */
export type FromFanout =
	| { type: 'ready' }
	| { type: 'authorize'; id: number; name: string; claims: JwtClaims }
	| { type: 'rechecked'; id: number; error?: string }
	/**
	 * A topic got its first channel (`watch`, answered with `watching` before the join is) or lost
	 * its last: the stack sends the process broadcasts only for watched topics.
	 */
	| { type: 'watch'; id: number; topic: string; private: boolean; watch: boolean }
	| { type: 'closed' };

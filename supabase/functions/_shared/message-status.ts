/**
 * Message statuses now live in contracts.ts; this name stays for the modules that still import it.
 */
export {
	messageStatusAdvances,
	messageStatusRank,
	messageStatuses,
	type DeliveryStatus,
	type MessageStatus
} from './contracts.ts';

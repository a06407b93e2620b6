import { formatDuration } from './format';
import type { Figures, Report } from './report';

/** One CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function field(value: string | number | null): string {
	const text = value === null ? '' : String(value);
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function rowsToCsv(rows: (string | number | null)[][]): string {
	return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

const FIGURES: [keyof Omit<Figures, 'sentiment'>, string][] = [
	['conversations_opened', 'Conversations opened'],
	['messages_in', 'Messages in'],
	['messages_out_human', 'Messages out (people)'],
	['messages_out_ai', 'Messages out (AI)'],
	['first_response_human_count', 'First responses (people)'],
	['first_response_human_median', 'First response median, people (s)'],
	['first_response_human_p90', 'First response p90, people (s)'],
	['first_response_ai_count', 'First responses (AI)'],
	['first_response_ai_median', 'First response median, AI (s)'],
	['first_response_ai_p90', 'First response p90, AI (s)'],
	['resolved', 'Conversations resolved'],
	['resolved_by_ai', 'Resolved by the AI with no person'],
	['resolution_median', 'Resolution median (s)'],
	['resolution_p90', 'Resolution p90 (s)'],
	['ai_answered', 'Conversations the AI answered'],
	['escalated', 'Handed to a person'],
	['escalation_rate', 'Escalation rate'],
	['failed', 'Messages failed']
];

/**
 * The report as one CSV file of sections (figures, volume, members, numbers, heatmap, reasons),
 * each a block with its own header row, so a spreadsheet opens it as is.
 */
export function reportToCsv(
	report: Report,
	names: { members: Map<string, string>; numbers: Map<string, string> }
): string {
	const rows: (string | number | null)[][] = [
		[
			'Section',
			'Figure',
			`${report.first_day} to ${report.last_day}`,
			`Previous (from ${report.previous_first_day})`,
			'Readable'
		]
	];
	for (const [key, label] of FIGURES) {
		const value = report.current[key];
		const readable = key.endsWith('median') || key.endsWith('p90') ? formatDuration(value) : '';
		rows.push(['Figures', label, value, report.previous[key], readable]);
	}
	for (const mood of ['positive', 'neutral', 'negative'] as const)
		rows.push([
			'Sentiment',
			mood,
			report.current.sentiment[mood],
			report.previous.sentiment[mood],
			''
		]);
	rows.push([]);
	rows.push([
		'Volume',
		`Local ${report.granularity} (${report.time_zone})`,
		'Inbound',
		'Out (people)',
		'Out (AI)'
	]);
	for (const point of report.volume)
		rows.push(['Volume', point.at, point.inbound, point.human, point.ai]);
	rows.push([]);
	rows.push([
		'Members',
		'Member',
		'Messages sent',
		'First responses',
		'First response median (s)',
		'Resolved'
	]);
	for (const member of report.members)
		rows.push([
			'Members',
			names.members.get(member.user_id) ?? 'Former member',
			member.messages_sent,
			member.first_responses,
			member.first_response_median,
			member.resolved
		]);
	rows.push([]);
	rows.push(['Numbers', 'Number', 'Conversations opened', 'Inbound', 'Outbound']);
	for (const number of report.numbers)
		rows.push([
			'Numbers',
			names.numbers.get(number.number_id) ?? 'Deleted number',
			number.opened,
			number.inbound,
			number.outbound
		]);
	rows.push([]);
	rows.push(['Heatmap', 'Weekday (1 = Monday)', 'Hour', 'Inbound']);
	for (const cell of report.heatmap) rows.push(['Heatmap', cell.weekday, cell.hour, cell.inbound]);
	rows.push([]);
	rows.push(['Escalations', 'Reason', 'Conversations']);
	for (const reason of report.escalation_reasons)
		rows.push(['Escalations', reason.reason, reason.count]);
	rows.push([]);
	rows.push(['Failures', 'Error code', 'Reason', 'Messages']);
	for (const failure of report.failures)
		rows.push(['Failures', failure.error_code, failure.reason, failure.count]);
	return rowsToCsv(rows);
}

// The parts of autocannon's API the load generator uses (the package ships no types).
declare module 'autocannon' {
	interface RawRequest {
		method?: string;
		path?: string;
		headers?: Record<string, string>;
		body?: string;
	}
	interface Options {
		url: string;
		connections?: number;
		amount?: number;
		overallRate?: number;
		timeout?: number;
		/** Milliseconds between samples; the run stops at the first sample after its last answer. */
		sampleInt?: number;
		requests?: Array<RawRequest & { setupRequest?: (request: RawRequest) => RawRequest }>;
	}
	interface Result {
		requests: { sent: number };
		'2xx': number;
		non2xx: number;
		errors: number;
		timeouts: number;
		latency: { p50: number; p99: number; max: number };
	}
	export default function autocannon(options: Options): Promise<Result>;
}

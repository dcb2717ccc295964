// The Server-Sent Events wire format (text/event-stream): an event is `field: value` lines
// and a blank line; a line that starts with a colon is a comment. `data` is one JSON text:
// JSON.stringify never writes a raw line break, so one `data:` line always carries it.

/** One event: its SSE `id` (what a browser sends back as Last-Event-ID), name and data. */
export const sseEvent = (id: string, event: string, data: string) => `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;

/** A comment line: keeps a quiet connection alive through proxies; clients ignore it. */
export const sseComment = (text: string) => `: ${text}\n\n`;

/** How long a browser waits before it reconnects after the stream ends. */
export const sseRetry = (ms: number) => `retry: ${ms}\n\n`;

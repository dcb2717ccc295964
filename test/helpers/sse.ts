import { request, type IncomingMessage } from 'node:http';
import { eventually } from './eventually.js';

// A Server-Sent Events client for tests, over node:http: it keeps every event and comment
// it receives (with the time it arrived), can stop reading (a slow client), and knows when
// the server ended the stream. Non-200 answers are read whole (a problem document).

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
  /** performance.now() when it arrived */
  at: number;
}

export interface SseOpenOptions {
  headers?: Record<string, string>;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: { text: string; at: number }[] = [];
  retryMs?: number;
  /** true once the server ended the response (or the connection broke) */
  ended = false;
  private buffer = '';
  private readonly endedPromise: Promise<void>;

  private constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.take(chunk));
    this.endedPromise = new Promise((resolve) => {
      const done = () => {
        this.ended = true;
        resolve();
      };
      response.once('end', done);
      response.once('close', done);
      response.once('error', done);
    });
  }

  /** Opens a stream; resolves once the answer's headers are in (a non-200 answer is read whole: `problem`). */
  static open(url: string, options: SseOpenOptions = {}): Promise<SseClient & { problem?: any }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...options.headers } }, (response) => {
        if (response.statusCode === 200) return resolve(new SseClient(response));
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const client = new SseClient(response) as SseClient & { problem?: any };
          client.problem = text ? JSON.parse(text) : undefined;
          resolve(client);
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  header(name: string): string | undefined {
    const value = this.response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** Entry events (everything but the snapshot). */
  get entries(): SseMessage[] {
    return this.messages.filter((message) => message.event !== 'snapshot');
  }

  /** The id of the last message with one (what a browser would send as Last-Event-ID). */
  get lastEventId(): string | undefined {
    return [...this.messages].reverse().find((message) => message.id !== undefined)?.id;
  }

  /** Waits until `count` messages arrived. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<SseMessage[]> {
    await eventually(() => this.messages.length >= count || this.failWhenEnded(`${this.messages.length} of ${count} messages`), { timeoutMs, intervalMs: 10 });
    return this.messages;
  }

  /** Waits until a message matches. */
  async waitFor(match: (message: SseMessage) => boolean, timeoutMs = 10_000): Promise<SseMessage> {
    const found = await eventually(() => this.messages.find(match) ?? this.failWhenEnded('no matching message'), {
      timeoutMs,
      intervalMs: 10,
    });
    return found as SseMessage;
  }

  /** Resolves when the server ended the stream. */
  whenEnded(): Promise<void> {
    return this.endedPromise;
  }

  /** Stops reading (the socket's buffers fill, then the server's): a slow client. */
  pause(): void {
    this.response.pause();
    this.response.socket.pause();
  }

  resume(): void {
    this.response.socket.resume();
    this.response.resume();
  }

  close(): void {
    this.response.destroy();
  }

  private failWhenEnded(what: string): false {
    if (this.ended) throw new Error(`the stream ended: ${what}`);
    return false;
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parse(block);
    }
  }

  private parse(block: string): void {
    const at = performance.now();
    const message: Partial<SseMessage> & { data?: string } = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push({ text: line.slice(1).trim(), at });
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
      else if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
      else if (field === 'retry') this.retryMs = Number(value);
    }
    if (message.data !== undefined) this.messages.push({ id: message.id, event: message.event ?? 'message', data: message.data, at });
  }
}

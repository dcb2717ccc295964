import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { Webhook } from 'standardwebhooks';
import packageJson from '../../package.json' with { type: 'json' };
import type { WebhookOutcome } from '../metrics/registry.js';

// One attempt of one batch: a signed POST (Standard Webhooks: webhook-id, webhook-timestamp,
// webhook-signature over "<id>.<timestamp>.<body>", signed by the standardwebhooks package).
// A 2xx acknowledges; anything else fails it: another status, a redirect (never followed),
// no answer within the timeout, a connection that fails, or a target whose address is not
// public (checked on the address actually connected to, after DNS, by request-filtering-agent,
// unless private targets are allowed). The answer's body is read only to keep the connection
// (at most MAX_ANSWER_BYTES, within the same timeout), so a slow or huge answer costs nothing.

export const MAX_ANSWER_BYTES = 64 * 1024;
/** Idle keep-alive connections close before a typical server's own 5 s keep-alive ends. */
const IDLE_SOCKET_MS = 4_000;
const MAX_ERROR_LENGTH = 200;

export interface AttemptRequest {
  url: string;
  secret: string;
  /** the batch id: the webhook-id header */
  messageId: string;
  body: string;
}

export interface AttemptResult {
  outcome: WebhookOutcome;
  /** the answer's status, when there was an answer */
  status?: number;
  /** what went wrong, for last_failure */
  error?: string;
  durationMs: number;
}

export interface SenderOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  /** the resolver connections use (default: the system's); the address it gives is the one checked */
  lookup?: LookupFunction;
}

export class WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly userAgent = `box-office-webhooks/${packageJson.version}`;

  constructor(private readonly options: SenderOptions) {
    const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS, maxSockets: 64 };
    if (options.allowPrivateTargets) {
      this.httpAgent = new http.Agent(agentOptions);
      this.httpsAgent = new https.Agent(agentOptions);
    } else {
      this.httpAgent = new RequestFilteringHttpAgent(agentOptions);
      this.httpsAgent = new RequestFilteringHttpsAgent(agentOptions);
    }
  }

  send(request: AttemptRequest): Promise<AttemptResult> {
    const target = new URL(request.url);
    const secure = target.protocol === 'https:';
    const timestamp = new Date();
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(request.body)),
      'user-agent': this.userAgent,
      'webhook-id': request.messageId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(request.secret).sign(request.messageId, timestamp, request.body),
    };
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: Omit<AttemptResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...result, durationMs: performance.now() - started });
      };
      const send = secure ? https.request : http.request;
      const req = send(target, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers,
        ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      });
      // One bound for the whole exchange: connecting, the answer, and reading its body.
      const timer = setTimeout(() => {
        settle({ outcome: 'timeout', error: `no answer within ${this.options.timeoutMs} ms` });
        req.destroy();
      }, this.options.timeoutMs);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        settle(resultOfStatus(status));
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_ANSWER_BYTES) req.destroy();
        });
        res.on('error', () => undefined);
        res.on('close', () => clearTimeout(timer));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        settle(resultOfError(error));
      });
      req.end(request.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function resultOfStatus(status: number): Omit<AttemptResult, 'durationMs'> {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  if (status === 410) return { outcome: 'gone', status, error: 'answered 410 Gone' };
  if (status >= 300 && status < 400) return { outcome: 'redirected', status, error: `answered ${status} (redirects are not followed)` };
  return { outcome: 'rejected', status, error: `answered ${status}` };
}

function resultOfError(error: NodeJS.ErrnoException): Omit<AttemptResult, 'durationMs'> {
  // request-filtering-agent refuses a non-public address with an error saying so.
  if (/is not allowed/.test(error.message)) {
    return { outcome: 'blocked', error: truncate(`refused to connect: ${error.message}`) };
  }
  return { outcome: 'unreachable', error: truncate(`could not deliver: ${error.code ?? error.message}`) };
}

const truncate = (text: string) => (text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text);

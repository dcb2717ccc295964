// A small HTTP client over fetch for tests: every call returns status, headers and the
// parsed body, whatever the status. An optional hook sees every answer first (the OpenAPI
// conformance check uses it); when the hook throws, the call fails.

export interface ApiResponse<Body = any> {
  status: number;
  headers: Headers;
  body: Body;
  contentType: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** send this string as is, instead of JSON-encoding `body` */
  raw?: string;
}

export interface ResponseHook {
  (exchange: { method: string; path: string } & ApiResponse): void;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly onResponse?: ResponseHook,
  ) {}

  get = (path: string, options?: RequestOptions) => this.request('GET', path, undefined, options);
  post = (path: string, body?: unknown, options?: RequestOptions) => this.request('POST', path, body, options);
  delete = (path: string, body?: unknown, options?: RequestOptions) => this.request('DELETE', path, body, options);

  async request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    const hasBody = body !== undefined || options.raw !== undefined;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (contentType.includes('json') && text.length > 0) parsed = JSON.parse(text);
    const result = { status: response.status, headers: response.headers, body: parsed, contentType };
    this.onResponse?.({ method, path, ...result });
    return result;
  }

  async createEvent(totalSeats: number, extra: Record<string, unknown> = {}): Promise<string> {
    const response = await this.post('/events', { name: 'Test show', total_seats: totalSeats, ...extra });
    if (response.status !== 201) throw new Error(`createEvent: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.event_id as string;
  }

  async hold(eventId: string, qty: number, extra: Record<string, unknown> = {}) {
    return this.post('/holds', { event_id: eventId, qty, ...extra });
  }
}

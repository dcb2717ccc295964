import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

// Holds real HTTP answers to the service's own OpenAPI document: the status must be
// documented for that operation, the media type too, the body must match the documented
// schema (JSON Schema 2020-12, checked with ajv) and required headers must be present.
// startTestService attaches one to every Api it makes, so every HTTP test checks it.

export interface Exchange {
  method: string;
  /** the request path as sent, with its query string if any */
  path: string;
  status: number;
  contentType: string;
  headers: Headers;
  body: unknown;
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  pointer: string;
  responses: Record<string, ResponseObject>;
}

interface ResponseObject {
  headers?: Record<string, { required?: boolean; schema?: object }>;
  content?: Record<string, { schema?: object }>;
  $ref?: string;
}

interface OpenApiDocument {
  [member: string]: unknown;
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components: { responses?: Record<string, ResponseObject>; schemas?: Record<string, object> };
}

export class ConformanceError extends Error {
  override name = 'ConformanceError';
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const DOC_ID = 'openapi.json';

/** A JSON pointer into the document, as a URI fragment ajv resolves. */
const pointerTo = (...segments: string[]) =>
  `${DOC_ID}#/${segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;

const templatePattern = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);

export class OpenApiConformance {
  private readonly ajv: Ajv2020;
  private readonly operations: Operation[] = [];
  private readonly validators = new Map<string, ValidateFunction>();
  /** `GET /events/{event_id} 404` for every answer checked so far */
  readonly seen = new Set<string>();

  readonly document: OpenApiDocument;

  constructor(document: object) {
    this.document = document as OpenApiDocument;
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    // ajv-formats is CommonJS: its plugin is the module's `default` as TypeScript sees it.
    ajvFormats.default(this.ajv);
    // OpenAPI's own schema keyword: an annotation for tools; oneOf does the validating.
    this.ajv.addKeyword({ keyword: 'discriminator' });
    // The document is added whole so that its $refs resolve; its top-level members are
    // not JSON Schema keywords, so tell strict mode they are known (and mean nothing).
    for (const keyword of Object.keys(document)) this.ajv.addKeyword({ keyword });
    this.ajv.addSchema(document as object, DOC_ID);
    for (const [template, item] of Object.entries(this.document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern: templatePattern(template),
          pointer: pointerTo('paths', template, method, 'responses'),
          responses: operation.responses,
        });
      }
    }
  }

  private static cache = new Map<string, OpenApiConformance>();

  /** One checker per distinct document (compiling the schemas is the costly part). */
  static for(document: object): OpenApiConformance {
    const key = JSON.stringify(document);
    let checker = OpenApiConformance.cache.get(key);
    if (!checker) {
      checker = new OpenApiConformance(JSON.parse(key) as object);
      OpenApiConformance.cache.set(key, checker);
    }
    return checker;
  }

  /** Throws a ConformanceError saying what differs from the document. */
  check(exchange: Exchange): void {
    const method = exchange.method.toUpperCase() === 'HEAD' ? 'GET' : exchange.method.toUpperCase();
    const path = exchange.path.split('?')[0]!.replace(/(.)\/$/, '$1');
    const onPath = this.operations.filter((operation) => operation.pattern.test(path));
    const operation = onPath.find((candidate) => candidate.method === method);
    const what = `${exchange.method} ${exchange.path} → ${exchange.status}`;

    let response: ResponseObject | undefined;
    let pointer: string;
    if (operation) {
      const status = String(exchange.status);
      response = operation.responses[status];
      pointer = `${operation.pointer}/${status}`;
      if (!response) {
        throw new ConformanceError(
          `${what}: status ${status} is not documented for ${operation.method} ${operation.template} ` +
            `(documented: ${Object.keys(operation.responses).join(', ')}); body: ${excerpt(exchange.body)}`,
        );
      }
      this.seen.add(`${operation.method} ${operation.template} ${status}`);
    } else {
      // No operation: the app's fallbacks answer, documented as shared responses.
      const name = exchange.status === 405 ? 'MethodNotAllowed' : exchange.status === 404 ? 'NoRoute' : undefined;
      response = name ? this.document.components.responses?.[name] : undefined;
      pointer = pointerTo('components', 'responses', name ?? '');
      if (!response) {
        throw new ConformanceError(`${what}: no operation ${method} for this path, and ${exchange.status} is no documented fallback`);
      }
      if (exchange.status === 405 && onPath.length === 0) {
        throw new ConformanceError(`${what}: 405 on a path the document does not have`);
      }
      this.seen.add(`(no route) ${exchange.status}`);
    }

    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = exchange.headers.get(name);
      if (value === null) {
        if (header.required) throw new ConformanceError(`${what}: required header ${name} is missing`);
        continue;
      }
      if (header.schema) {
        const headerPointer = `${pointer}/headers/${encodeURIComponent(name)}/schema`;
        this.validate(headerPointer, value, `${what}: header ${name}`);
      }
    }

    const mediaType = exchange.contentType.split(';')[0]!.trim().toLowerCase();
    const content = response.content ?? {};
    if (exchange.method.toUpperCase() === 'HEAD') return;
    if (Object.keys(content).length === 0) return;
    if (!content[mediaType]) {
      throw new ConformanceError(
        `${what}: Content-Type ${JSON.stringify(mediaType)} is not documented (documented: ${Object.keys(content).join(', ')})`,
      );
    }
    if (content[mediaType]!.schema) {
      this.validate(`${pointer}/content/${encodeURIComponent(mediaType.replace(/\//g, '~1'))}/schema`, exchange.body, what);
    }
  }

  private validate(pointer: string, value: unknown, what: string) {
    let validator = this.validators.get(pointer);
    if (!validator) {
      validator = this.ajv.compile({ $ref: pointer });
      this.validators.set(pointer, validator);
    }
    if (!validator(value)) {
      const errors = this.ajv.errorsText(validator.errors, { separator: '; ', dataVar: 'body' });
      throw new ConformanceError(`${what}: does not match the documented schema: ${errors}; body: ${excerpt(value)}`);
    }
  }
}

const excerpt = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? '(none)' : text.length > 400 ? `${text.slice(0, 400)}…` : text;
};

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default export is the function itself, or under `default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void;

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

/**
 * Checks answers against the service's own OpenAPI document: the route's operation (by method
 * and path template) must describe the status, and a JSON body must validate against that
 * status's schema. An answer from no documented route must be SPEC's error body.
 */
export class OpenApiCheck {
  private readonly ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Document) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc as object, 'openapi.json');
  }

  /** The problem with this answer, or null when the document describes it. */
  problemWith(method: string, url: string, status: number, body: unknown, isJson: boolean) {
    const path = url.split('?', 1)[0] ?? '';
    if (!/^\/(api\/v1\/|healthz$|readyz$)/.test(path)) return null;
    const verb = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    const template = this.templateOf(path, verb);
    if (!template) {
      if (!isJson) return `${method} ${path} ${status}: no operation, and not a JSON error body`;
      return this.validate('#/components/schemas/Error', body, `${method} ${path} ${status}`);
    }
    const responses = this.doc.paths[template]?.[verb]?.responses ?? {};
    const described = responses[String(status)];
    if (!described) {
      return `${method} ${template}: status ${status} is not described (${Object.keys(responses).join(', ')}): ${JSON.stringify(body)}`;
    }
    if (verb !== method.toLowerCase() || !isJson) return null;
    if (!described.content?.['application/json']) {
      return `${method} ${template} ${status}: a JSON body, but none is described`;
    }
    const pointer = [
      'paths',
      template,
      verb,
      'responses',
      String(status),
      'content',
      'application/json',
      'schema',
    ]
      .map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1'))
      .join('/');
    return this.validate(`#/${pointer}`, body, `${method} ${template} ${status}`);
  }

  private validate(pointer: string, body: unknown, what: string): string | null {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${pointer}` });
      this.validators.set(pointer, validate);
    }
    if (validate(body)) return null;
    return `${what}: the body does not match the document: ${this.ajv.errorsText(validate.errors)}: ${JSON.stringify(body)}`;
  }

  private templateOf(path: string, verb: string): string | null {
    const segments = path.split('/');
    for (const [template, operations] of Object.entries(this.doc.paths)) {
      if (!operations[verb]) continue;
      const parts = template.split('/');
      if (parts.length !== segments.length) continue;
      if (
        parts.every((part, i) =>
          /^\{.+\}$/.test(part) ? segments[i] !== '' : part === segments[i],
        )
      )
        return template;
    }
    return null;
  }
}

import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openApiDocumentOf } from '../helpers/service.js';

// The documentation shipped with the project: docs/api.md describes every operation the
// service serves, every relative link and image of the README and docs/ points at a file of
// the project, and nothing names a path outside it.

const ROOT = resolve(import.meta.dirname, '../..');
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const documents = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('documentation (README.md, docs/)', () => {
  it('docs/api.md names every operation of the OpenAPI document', () => {
    const document = openApiDocumentOf(loadConfig({ ADMIN_TOKEN: 'x' })) as unknown as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.length).to.be.above(15);
    const api = read('docs/api.md');
    const missing = operations.filter((operation) => !api.includes(`\`${operation}\``));
    expect(missing, 'operations docs/api.md does not describe').to.deep.equal([]);
  });

  it('every relative link and image points at a file of the project', () => {
    const broken: string[] = [];
    for (const file of documents) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!) || target!.startsWith('#')) continue;
        const path = target!.split('#')[0]!;
        if (!existsSync(join(ROOT, dirname(file), path))) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('names no path outside the project and no internal material', () => {
    const found: string[] = [];
    for (const file of documents) {
      read(file)
        .split('\n')
        .forEach((line, i) => {
          if (/\/work\/|\/home\/|\/tmp\/|\bseeds?\b|CONTRACT\.md/i.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).to.deep.equal([]);
  });

  it('the README stays short: at most 150 lines', () => {
    expect(read('README.md').split('\n').length).to.be.at.most(150);
  });
});

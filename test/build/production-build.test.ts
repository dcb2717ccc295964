import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix } from '../helpers/service.js';

// The production build as the Docker image runs it: `npm run build`'s compiler settings
// (tsconfig.build.json) into dist/, laid out beside what the Dockerfile's runtime stage copies
// (read from the Dockerfile itself), started with plain `node dist/main.js`. It must answer
// /readyz, run its Lua scripts (read from lua/ beside dist/), serve the demo (public/), and
// import nothing at run time that the runtime stage does not install (no dev dependency such
// as tsx or typescript).

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

interface Stage {
  from: string;
  lines: string[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined). */
function dockerStages(text: string): Stage[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of instructions) {
    if (/^FROM\s/i.test(line)) stages.push({ from: line, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** Every .js file under dir. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The package a bare import specifier names (`@scope/name/x` -> `@scope/name`). */
const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;

describe('production build (npm run build, node dist/main.js)', function () {
  this.timeout(180_000);
  let workDir: string;
  let runtime: Stage;

  before(async () => {
    const stages = dockerStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.length, 'a build stage and a runtime stage').to.be.at.least(2);
    runtime = stages.at(-1)!;

    // Lay out the runtime stage's files: what it copies from the project, and dist/ from
    // the compiler with the build's own settings.
    workDir = mkdtempSync(join(tmpdir(), 'box-office-build-'));
    for (const line of runtime.lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l))) {
      const parts = line.split(/\s+/).slice(1);
      const dest = parts.pop()!;
      for (const source of parts) {
        const target = dest.endsWith('/') || parts.length > 1 ? join(workDir, dest, source) : join(workDir, dest);
        cpSync(join(ROOT, source), target, { recursive: true });
      }
    }
    await run(process.execPath, [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      join(workDir, 'dist'),
    ]);
    // The installed packages (the test checks below that dist/ needs production ones only).
    symlinkSync(join(ROOT, 'node_modules'), join(workDir, 'node_modules'), 'dir');
  });

  after(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('runtime stage: production dependencies only, non-root, a HEALTHCHECK, node dist/main.js', () => {
    const text = runtime.lines.join('\n');
    expect(text).to.match(/^RUN npm ci --omit=dev/m);
    expect(text).to.match(/^COPY --from=\w+ \/app\/dist \.\/dist$/m);
    expect(text).to.match(/^USER (?!root\b)\w+/m);
    expect(text).to.match(/^HEALTHCHECK .*\/healthz/m);
    expect(text).to.match(/^CMD \["node",( "--[\w-]+",)* "dist\/main\.js"\]$/m);
    expect(text).not.to.match(/tsx/);
  });

  it('dist/ imports no dev dependency at run time', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const production = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of jsFiles(join(workDir, 'dist'))) {
      const source = readFileSync(file, 'utf8');
      // `… from 'x'`, `import 'x'` and `import('x')`
      for (const [, from, bare] of source.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)) {
        imported.add((from ?? bare)!);
      }
    }
    const packages = [...imported]
      .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtins.has(s))
      .map(packageOf);
    expect(packages, 'dist/ imports some packages').to.include('express');
    const notProduction = [...new Set(packages)].filter((name) => !production.has(name));
    expect(notProduction, 'imported by dist/ but not a production dependency').to.deep.equal([]);
    expect(production.has('tsx'), 'tsx is a dev dependency').to.equal(false);
  });

  it('starts with node, answers /readyz, runs its Lua scripts, and stops on SIGTERM', async () => {
    expect(existsSync(join(workDir, 'lua')), 'the runtime stage copies lua/').to.equal(true);
    const redis = await sharedRedis();
    const child = spawn(process.execPath, [join(workDir, 'dist/main.js')], {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: redis.url,
        KEY_PREFIX: randomPrefix(),
        PORT: '0',
        HOST: '127.0.0.1',
        RECONCILE_INTERVAL_MS: '0',
        SHUTDOWN_DRAIN_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const port = await new Promise<number>((found, failed) => {
        const onLine = (line: string) => {
          lines.push(line);
          const match = /listening on port (\d+)/.exec(line);
          if (match) found(Number(match[1]));
        };
        createInterface({ input: child.stdout! }).on('line', onLine);
        createInterface({ input: child.stderr! }).on('line', onLine);
        void exited.then((code) => failed(new Error(`exited ${code} before listening:\n${lines.join('\n')}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/readyz`)).status).to.equal(200);
      const created = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Built', total_seats: 4 }),
      });
      expect(created.status, lines.join('\n')).to.equal(201);
      const { event_id: eventId } = (await created.json()) as { event_id: string };
      const hold = await fetch(`${base}/holds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: eventId, qty: 3 }),
      });
      expect(hold.status, lines.join('\n')).to.equal(201);
      const event = (await (await fetch(`${base}/events/${eventId}`)).json()) as { available: number; held: number };
      expect([event.available, event.held]).to.deep.equal([1, 3]);
      // the demo's files are found from dist/ too
      const demo = await fetch(`${base}/demo`);
      expect(demo.status).to.equal(200);
      expect(await demo.text()).to.contain('/demo/demo.js');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });
});

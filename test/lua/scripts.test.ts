import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from '../helpers/eventually.js';
import { sharedRedis } from '../helpers/redis.js';
import { randomPrefix } from '../helpers/service.js';
import { KeySpace } from '../../src/redis/keys.js';
import { LUA_DIR, readScripts } from '../../src/redis/script-loader.js';

// The Lua files as files (names, headers, includes), then every script run directly
// through the Scripts class against a real Redis, checking the counts after each step.

const SCRIPT_FILE = /^([a-z][A-Za-z]*)-(\d+)\.lua$/;
const luaFiles = readdirSync(LUA_DIR).filter((file) => file.endsWith('.lua'));
const includeNames = readdirSync(join(LUA_DIR, 'includes'))
  .filter((file) => file.endsWith('.lua'))
  .map((file) => file.slice(0, -'.lua'.length));

/** The leading comment block of a script: every line up to the first that is not a comment. */
function headerBlock(source: string): string[] {
  const lines = source.split('\n');
  const end = lines.findIndex((line) => !line.startsWith('--'));
  return end < 0 ? lines : lines.slice(0, end);
}

describe('lua files', () => {
  it('there are scripts, and every *.lua file in lua/ is named camelName-N.lua', () => {
    expect(luaFiles.length).to.be.at.least(8);
    for (const file of luaFiles) expect(file, file).to.match(SCRIPT_FILE);
    // a file with a bad name would be skipped silently by the loader
    expect(readScripts().map((script) => script.name).sort()).to.deep.equal(
      luaFiles.map((file) => SCRIPT_FILE.exec(file)![1]).sort(),
    );
  });

  for (const file of luaFiles) {
    it(`${file}: the key count in its name equals the KEYS[i] lines of its header, numbered 1..N`, () => {
      const declared = Number(SCRIPT_FILE.exec(file)?.[2]);
      const source = readFileSync(join(LUA_DIR, file), 'utf8');
      const keyLines = headerBlock(source).filter((line) => /^-- KEYS\[\d+\]/.test(line));
      expect(keyLines.length, `${file} documents ${keyLines.length} keys`).to.equal(declared);
      expect(keyLines.map((line) => Number(/^-- KEYS\[(\d+)\]/.exec(line)![1]))).to.deep.equal(
        Array.from({ length: declared }, (_, i) => i + 1),
      );
      // and the body uses no key beyond them
      const used = [...source.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1]));
      expect(Math.max(0, ...used), `${file} uses a KEYS index beyond its count`).to.be.at.most(declared);
    });
  }

  it('every --@include names an existing include and is resolved by readScripts', () => {
    for (const file of luaFiles) {
      const source = readFileSync(join(LUA_DIR, file), 'utf8');
      for (const line of source.split('\n').filter((text) => text.startsWith('--@include'))) {
        const name = /^--@include (\w+)\s*$/.exec(line)?.[1];
        expect(name, `${file}: malformed include line "${line}"`).to.be.a('string');
        expect(includeNames, `${file} includes ${name}`).to.include(name);
      }
    }
    const scripts = readScripts();
    expect(scripts).to.have.length(luaFiles.length);
    for (const script of scripts) {
      expect(script.source, `${script.name} still has an include line`).not.to.match(/^--@include/m);
    }
  });

  it('every include function a script calls is defined in it, before its first call', () => {
    for (const script of readScripts()) {
      for (const name of includeNames) {
        const definition = script.source.indexOf(`local function ${name}(`);
        const calls = [...script.source.matchAll(new RegExp(`(?<!function )\\b${name}\\(`, 'g'))].map(
          (match) => match.index,
        );
        if (calls.length === 0) continue;
        expect(definition, `${script.name} calls ${name} without including it`).to.be.at.least(0);
        expect(Math.min(...calls), `${script.name} calls ${name} before defining it`).to.be.greaterThan(definition);
      }
    }
  });

  it('every resolved script compiles in Redis, under the sha1 the loader computed', async () => {
    const redis = new Redis((await sharedRedis()).url);
    try {
      for (const script of readScripts()) {
        expect(await redis.script('LOAD', script.source), script.name).to.equal(script.sha1);
      }
    } finally {
      redis.disconnect();
    }
  });
});

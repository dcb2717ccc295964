import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sharedRedis } from '../helpers/redis.js';
import { functionLibrary, LUA_DIR } from '../../src/redis/function-library.js';

// The Lua files as files (names, headers, includes), and as the one library of functions
// they make (test/redis/function-library.test.ts tests the assembling itself).

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
  it('there are scripts, every *.lua file in lua/ is named camelName-N.lua, and each is a function of the library', () => {
    expect(luaFiles.length).to.be.at.least(8);
    for (const file of luaFiles) expect(file, file).to.match(SCRIPT_FILE);
    // a file with a bad name would be skipped silently by the loader
    const library = functionLibrary();
    expect([...library.functions.keys()].sort()).to.deep.equal(luaFiles.map((file) => SCRIPT_FILE.exec(file)![1]).sort());
    for (const file of luaFiles) {
      const [, script, keys] = SCRIPT_FILE.exec(file)!;
      expect(library.functions.get(script!)).to.deep.equal({ script, name: `${library.name}_${script}`, numberOfKeys: Number(keys) });
    }
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

  it('every --@include names an existing include', () => {
    for (const file of [...luaFiles, ...includeNames.map((name) => join('includes', `${name}.lua`))]) {
      const source = readFileSync(join(LUA_DIR, file), 'utf8');
      for (const line of source.split('\n').filter((text) => text.startsWith('--@include'))) {
        const name = /^--@include (\w+)\s*$/.exec(line)?.[1];
        expect(name, `${file}: malformed include line "${line}"`).to.be.a('string');
        expect(includeNames, `${file} includes ${name}`).to.include(name);
      }
    }
  });

  it('every file of lua/ is in the library once, verbatim, and the library loads in Redis', async () => {
    const library = functionLibrary();
    for (const file of [...luaFiles, ...includeNames.map((name) => `includes/${name}.lua`)]) {
      const source = readFileSync(join(LUA_DIR, file), 'utf8');
      expect(library.source.split(`do -- ${file}\n`), `${file} is one block`).to.have.length(2);
      expect(library.source, `${file} is in the library as it is`).to.include(source.trimEnd());
    }
    const redis = new Redis((await sharedRedis()).url);
    try {
      await redis.call('FUNCTION', 'LOAD', library.source).catch((error: Error) => {
        if (!/already exists/.test(error.message)) throw error;
      });
      const listed = (await redis.call('FUNCTION', 'LIST', 'LIBRARYNAME', library.name)) as unknown[][];
      const entry = listed.find((item) => item[1] === library.name)!;
      const names = (entry[entry.indexOf('functions') + 1] as unknown[][]).map((fn) => String(fn[1]));
      expect(names.sort()).to.deep.equal([...library.functions.values()].map((fn) => fn.name).sort());
    } finally {
      redis.disconnect();
    }
  });
});

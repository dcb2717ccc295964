import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { assembleLibrary, LUA_DIR, MAX_LOCALS, MAX_UPVALUES } from '../../src/redis/function-library.js';
import { FunctionCalls, loadOn } from '../../src/redis/functions.js';
import { readLuaFile } from '../../src/redis/lua-source.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

// Assembling lua/ into one library (src/redis/function-library.ts): what a file may use, the
// limits of Lua 5.1 the layout keeps each block under (checked with a message naming the
// file), the version in the names, and errors that point at the file and line.

const dirs: string[] = [];

/** A lua/ directory of these files (`includes/x.lua` for includes). */
function luaDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'box-office-lua-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'includes'));
  for (const [file, source] of Object.entries(files)) writeFileSync(join(dir, file), source);
  return dir;
}

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );
  if (!('error' in outcome)) expect.fail(`resolved with ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

const names = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** An include of `count` helpers h0, h1, ... each returning its number. */
const helpers = (count: number) => names(count, 'h').map((name, i) => `local function ${name}() return ${i} end`).join('\n');

/** A script that returns the sum of every helper of `helpers(count)`. */
const sumScript = (count: number) => `--@include many\nreturn ${names(count, 'h').map((name) => `${name}()`).join(' + ')}\n`;

describe('function library: assembling lua/', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let client: Redis;

  before(async () => {
    redis = await startRedis({ local: true });
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file as Lua: names in strings, comments, fields and table keys are not uses; locals, parameters and loop variables are declared', () => {
    const facts = readLuaFile(
      [
        '--@include args',
        "local A, B = 1, 'quoted -- not a comment, nor a use of q1'",
        '-- a comment naming q2',
        '--[[ a long comment naming q3 ]]',
        'local function f(p1, p2, ...)',
        '  local t = { k1 = p1, [p2] = 1, k2 = q4.k3, [[a long string naming q5]] }',
        '  for i, v in ipairs(t) do t:m(i, v) end',
        '  if A then return B end',
        'end',
        'local C = 2 ^ 53 .. "x"',
      ].join('\n'),
      'facts.lua',
    );
    expect(facts.includes).to.deep.equal(['args']);
    expect(facts.topLevel).to.deep.equal(['A', 'B', 'f', 'C']);
    expect([...facts.used].sort()).to.deep.equal(['A', 'B', 'i', 'ipairs', 'p1', 'p2', 'q4', 't', 'v']);
    expect([...facts.declared].sort()).to.deep.equal(['A', 'B', 'C', 'f', 'i', 'p1', 'p2', 't', 'v']);
  });

  it('a file may use only its own names, its includes\' helpers (also through their includes) and Redis\'s Lua globals', () => {
    const base = {
      'includes/a.lua': 'local function aOne() return 1 end',
      'includes/b.lua': '--@include a\nlocal function bTwo() return aOne() + 1 end',
    };
    expect(() => assembleLibrary(luaDir({ ...base, 'ok-0.lua': '--@include b\nreturn {aOne(), bTwo(), KEYS[1], ARGV[1], redis.call("TIME")}' })))
      .not.to.throw();
    expect(() => assembleLibrary(luaDir({ ...base, 'bad-0.lua': '--@include a\nreturn bTwo()' }))).to.throw(
      'bad-0.lua uses bTwo of includes/b.lua without --@include b',
    );
    expect(() => assembleLibrary(luaDir({ ...base, 'bad-0.lua': '--@include a\nreturn aOne() + nowhere' }))).to.throw(
      "bad-0.lua uses nowhere, which is neither its own, a helper of its includes, nor a global of Redis's Lua",
    );
    // an include runs outside any call: KEYS and ARGV are not there
    expect(() => assembleLibrary(luaDir({ 'includes/k.lua': 'local function key() return KEYS[1] end' }))).to.throw(
      'includes/k.lua uses KEYS',
    );
    expect(() => assembleLibrary(luaDir({ ...base, 'includes/c.lua': 'local function aOne() end' }))).to.throw(
      'aOne is defined by includes/a.lua and includes/c.lua',
    );
    expect(() => assembleLibrary(luaDir({ 'includes/x.lua': '--@include y\n', 'includes/y.lua': '--@include x\n' }))).to.throw(
      'includes itself',
    );
    // helpers are made once per load and shared by every call: none may be assigned
    expect(() => assembleLibrary(luaDir({ ...base, 'bad-0.lua': '--@include a\naOne = nil\nreturn 1' }))).to.throw(
      'bad-0.lua assigns to aOne of includes/a.lua: helpers are constants',
    );
    expect(() => assembleLibrary(luaDir({ 'includes/memo.lua': 'local seen = 0\nlocal function count() seen = seen + 1 return seen end' })))
      .to.throw('includes/memo.lua assigns to seen of includes/memo.lua');
    // a local of the same name is the file's own
    expect(() => assembleLibrary(luaDir({ ...base, 'ok-0.lua': '--@include a\nlocal aOne, t = 1, {}\naOne, t.x = 2, 3\nreturn aOne' })))
      .not.to.throw();
    expect(() => assembleLibrary(luaDir({ 'bad-0.lua': '--@include nothere\nreturn 1' }))).to.throw(
      'bad-0.lua includes nothere, which lua/includes/ does not have',
    );
  });

  it(`a script reaches at most ${MAX_UPVALUES} helpers (Lua's upvalue limit): ${MAX_UPVALUES} load and answer, one more is refused naming the file`, async () => {
    const atLimit = assembleLibrary(luaDir({ 'includes/many.lua': helpers(MAX_UPVALUES), 'sum-0.lua': sumScript(MAX_UPVALUES) }));
    expect(await loadOn(client, atLimit)).to.equal('loaded');
    expect(await new FunctionCalls(client, atLimit).call('sum', [])).to.equal((MAX_UPVALUES * (MAX_UPVALUES - 1)) / 2);

    const above = luaDir({ 'includes/many.lua': helpers(MAX_UPVALUES + 1), 'sum-0.lua': sumScript(MAX_UPVALUES + 1) });
    expect(() => assembleLibrary(above)).to.throw(`sum-0.lua uses ${MAX_UPVALUES + 1} helpers, above the ${MAX_UPVALUES}`);
    // the limit is Redis's own: the same function written by hand does not compile
    const locals = names(MAX_UPVALUES + 1, 'h');
    const byHand = `#!lua name=byhand\nlocal ${locals.join(', ')} = ${locals.map((_, i) => i).join(', ')}\n` +
      `redis.register_function('byhand', function() return ${locals.join(' + ')} end)`;
    expect((await rejection(client.call('FUNCTION', 'LOAD', byHand))).message).to.match(/upvalues/);
  });

  it(`an include's block holds at most ${MAX_LOCALS} locals: at the limit it loads, above it is refused naming the file`, async () => {
    // the block's locals: the library's table, then its own names
    const atLimit = assembleLibrary(luaDir({ 'includes/many.lua': helpers(MAX_LOCALS - 1), 'one-0.lua': '--@include many\nreturn h0()' }));
    expect(await loadOn(client, atLimit)).to.equal('loaded');
    expect(await new FunctionCalls(client, atLimit).call('one', [])).to.equal(0);
    expect(() => assembleLibrary(luaDir({ 'includes/many.lua': helpers(MAX_LOCALS) }))).to.throw(
      `includes/many.lua would have ${MAX_LOCALS + 1} locals in the library`,
    );
  });

  it('the whole library stays far from the limits however many includes there are: each block counts only its own', () => {
    // 300 helpers in 30 includes, a script using 40 of them: one chunk of 300 locals would not compile
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) {
      files[`includes/part${i}.lua`] = names(10, `p${i}x`).map((name) => `local function ${name}() return 1 end`).join('\n');
    }
    const used = Array.from({ length: 40 }, (_, i) => `p${i % 30}x${Math.floor(i / 30)}`);
    files['wide-0.lua'] = `${Array.from({ length: 30 }, (_, i) => `--@include part${i}`).join('\n')}\nreturn ${used.map((n) => `${n}()`).join(' + ')}`;
    const library = assembleLibrary(luaDir(files));
    return loadOn(client, library).then(async (result) => {
      expect(result).to.equal('loaded');
      expect(await new FunctionCalls(client, library).call('wide', [])).to.equal(40);
    });
  });

  it('the name carries the hash of the library: the same files give the same name, any change another', () => {
    const copy = mkdtempSync(join(tmpdir(), 'box-office-lua-'));
    dirs.push(copy);
    cpSync(LUA_DIR, copy, { recursive: true });
    const original = assembleLibrary();
    const same = assembleLibrary(copy);
    expect(same.name).to.equal(original.name).and.to.match(/^bo_[0-9a-f]{12}$/);
    expect(same.source).to.equal(original.source);
    writeFileSync(join(copy, 'includes', 'args.lua'), '\n-- one more line\n', { flag: 'a' });
    const changed = assembleLibrary(copy);
    expect(changed.name).to.match(/^bo_[0-9a-f]{12}$/).and.not.to.equal(original.name);
    expect(changed.functions.get('hold')!.name).to.equal(`${changed.name}_hold`);
    expect(changed.source.startsWith(`#!lua name=${changed.name}\n`)).to.equal(true);
  });

  it('an error in a script names its file and line, not the library\'s', async () => {
    const library = assembleLibrary(luaDir({
      'includes/check.lua': "local function mustBe(value)\n  if value ~= 'yes' then\n    error('bad argument ' .. tostring(value))\n  end\n  return value\nend",
      'fail-1.lua': "-- KEYS[1] any key\n--@include check\nreturn mustBe(ARGV[1])\n",
    }));
    const calls = new FunctionCalls(client, library);
    expect(await calls.call('fail', ['k', 'yes'])).to.equal('yes');
    expect((await rejection(calls.call('fail', ['k', 'no']))).message).to.match(/includes\/check\.lua:3: bad argument no/);
  });
});

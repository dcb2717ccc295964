import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLuaFile, type LuaFileFacts } from './lua-source.js';

// The Lua files become ONE Redis function library, assembled at start (no build step).
// Scripts live in lua/ as `camelName-<numberOfKeys>.lua`; `--@include name` makes the helpers
// of lua/includes/name.lua visible to a file. In the library every file is one `do` block:
//
//   #!lua name=bo_<hash>
//   local bo = {}                                    -- every include's helpers, by name
//   do -- includes/event.lua
//     local logEntry = bo.logEntry                   -- the helpers it uses of its includes
//     ...the file...
//     bo.loadEvent = loadEvent ...                   -- its own top-level names
//   end
//   do -- hold-1.lua
//     local newContext, effectsReply = bo.newContext, bo.effectsReply
//     redis.register_function{function_name = 'bo_<hash>_hold', callback = function(KEYS, ARGV)
//       ...the file, unchanged...
//     end}
//   end
//
// So a call runs only its script's body: helpers are made once, at FUNCTION LOAD, and reached
// as upvalues. Lua 5.1's limits apply per block, not to the whole library: the library chunk
// has at most 1 + (one block's imports and own names) locals active at once (limit 200), and a
// script's callback captures only the helpers it uses (limit 60 upvalues); both are checked
// here with a message naming the file. The hash of the assembled text is in the library's
// and every function's name, so two versions load side by side (a rolling deploy).

export const LUA_DIR = fileURLToPath(new URL('../../lua/', import.meta.url));

export interface LibraryFunction {
  /** the script's camelName */
  script: string;
  /** `bo_<hash>_<script>` */
  name: string;
  numberOfKeys: number;
}

export interface FunctionLibrary {
  /** `bo_<12 hex>`: the first 12 hex digits of the sha1 of the library text */
  name: string;
  /** the text FUNCTION LOAD takes */
  source: string;
  functions: Map<string, LibraryFunction>;
  /** `hold-1.lua:40` for a line (1-based) of the library, as Redis names it in errors */
  origin(line: number): string;
}

/** Lua 5.1: most locals active at once in one function, most upvalues of one closure. */
export const MAX_LOCALS = 200;
export const MAX_UPVALUES = 60;

const SCRIPT_FILE = /^([a-z][A-Za-z0-9]*)-(\d+)\.lua$/;
const INCLUDE_FILE = /^(\w+)\.lua$/;
const HASH_PLACEHOLDER = 'bo_HASHxHASHxHASH';
export const LIBRARY_NAME = /^bo_[0-9a-f]{12}$/;

/** Scripts that only read: FCALL runs them under `no-writes` (allowed when Redis is out of memory, as EVAL ran them). */
const READ_ONLY_SCRIPTS = new Set(['readHold']);

/** What Redis's Lua offers besides a file's own names (Redis 7.0). */
const LUA_GLOBALS = new Set([
  'redis', 'cjson', 'cmsgpack', 'bit', 'struct', 'string', 'table', 'math', '_G', '_VERSION',
  'assert', 'error', 'getmetatable', 'ipairs', 'next', 'pairs', 'pcall', 'rawequal', 'rawget',
  'rawset', 'select', 'setmetatable', 'tonumber', 'tostring', 'type', 'unpack', 'xpcall', 'gcinfo',
]);

interface Unit {
  file: string;
  source: string;
  facts: LuaFileFacts;
}

class LibraryError extends Error {
  override name = 'LuaLibraryError';
}

function readUnits(dir: string, pattern: RegExp): Map<string, Unit> {
  const units = new Map<string, Unit>();
  for (const file of readdirSync(dir).sort()) {
    const match = pattern.exec(file);
    if (!match) continue;
    const source = readFileSync(join(dir, file), 'utf8');
    units.set(file, { file, source, facts: readLuaFile(source, file) });
  }
  return units;
}

/** Include names in an order where each comes after the includes it names. */
function includeOrder(includes: Map<string, Unit>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, from: string) => {
    const unit = includes.get(name);
    if (!unit) throw new LibraryError(`${from} includes ${name}, which lua/includes/ does not have`);
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new LibraryError(`includes/${name}.lua includes itself (through ${from})`);
    state.set(name, 'visiting');
    for (const dependency of unit.facts.includes) visit(dependency, unit.file);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of includes.keys()) visit(name, 'lua/includes');
  return order;
}

export function assembleLibrary(dir = LUA_DIR): FunctionLibrary {
  const includes = new Map<string, Unit>();
  for (const [file, unit] of readUnits(join(dir, 'includes'), INCLUDE_FILE)) {
    unit.file = `includes/${file}`;
    includes.set(INCLUDE_FILE.exec(file)![1]!, unit);
  }
  const scripts = readUnits(dir, SCRIPT_FILE);
  const order = includeOrder(includes);

  const ownerOf = new Map<string, string>();
  for (const name of order) {
    for (const helper of includes.get(name)!.facts.topLevel) {
      const owner = ownerOf.get(helper);
      if (owner && owner !== name) throw new LibraryError(`${helper} is defined by includes/${owner}.lua and includes/${name}.lua`);
      ownerOf.set(helper, name);
    }
  }
  const reach = new Map<string, Set<string>>();
  const reachOf = (names: string[]): Set<string> => {
    const all = new Set<string>();
    for (const name of names) {
      all.add(name);
      for (const further of reach.get(name) ?? []) all.add(further);
    }
    return all;
  };
  for (const name of order) reach.set(name, reachOf(includes.get(name)!.facts.includes));

  /** The helpers a file takes from its includes; throws on a name it cannot have. */
  const importsOf = (unit: Unit, parameters: string[] = []): string[] => {
    for (const name of unit.facts.includes) {
      if (!includes.has(name)) throw new LibraryError(`${unit.file} includes ${name}, which lua/includes/ does not have`);
    }
    const visible = reachOf(unit.facts.includes);
    const imports: string[] = [];
    for (const name of unit.facts.used) {
      const owner = ownerOf.get(name);
      if (owner !== undefined && visible.has(owner)) {
        // an include's own top-level names are its own locals; a script's body runs inside its callback
        if (parameters.length > 0 || !unit.facts.topLevel.includes(name)) imports.push(name);
      } else if (!unit.facts.declared.has(name) && !parameters.includes(name) && !LUA_GLOBALS.has(name)) {
        throw new LibraryError(
          owner !== undefined
            ? `${unit.file} uses ${name} of includes/${owner}.lua without --@include ${owner}`
            : `${unit.file} uses ${name}, which is neither its own, a helper of its includes, nor a global of Redis's Lua`,
        );
      }
    }
    for (const name of unit.facts.assigned) {
      const owner = ownerOf.get(name);
      const own = unit === includes.get(owner ?? '');
      if (owner !== undefined && (own || (visible.has(owner) && !unit.facts.declared.has(name)))) {
        // made once per load, shared by every call: assigning one would carry state from call to call
        throw new LibraryError(`${unit.file} assigns to ${name} of includes/${owner}.lua: helpers are constants`);
      }
    }
    return imports.sort();
  };

  const lines: string[] = [];
  const origins: string[] = [];
  const emit = (text: string, origin = 'library') => {
    lines.push(text);
    origins.push(origin);
  };
  const emitFile = (unit: Unit) => unit.source.replace(/\n$/, '').split('\n').forEach((text, i) => emit(text, `${unit.file}:${i + 1}`));
  const emitImports = (imports: string[]) => {
    if (imports.length > 0) emit(`local ${imports.join(', ')} = ${imports.map((name) => `bo.${name}`).join(', ')}`);
  };

  emit(`#!lua name=${HASH_PLACEHOLDER}`);
  emit('-- Assembled from lua/ by src/redis/function-library.ts: one do block per file.');
  emit('local bo = {}');
  for (const name of order) {
    const unit = includes.get(name)!;
    const imports = importsOf(unit);
    const own = [...new Set(unit.facts.topLevel)];
    if (1 + imports.length + own.length > MAX_LOCALS) {
      throw new LibraryError(
        `${unit.file} would have ${1 + imports.length + own.length} locals in the library (${imports.length} helpers it uses, ` +
          `${own.length} of its own), above Lua's ${MAX_LOCALS}: split it, or keep its helpers in a table`,
      );
    }
    emit(`do -- ${unit.file}`);
    emitImports(imports);
    emitFile(unit);
    for (const helper of own) emit(`bo.${helper} = ${helper}`);
    emit('end');
  }
  const functions = new Map<string, LibraryFunction>();
  for (const [file, unit] of scripts) {
    const [, script, keys] = SCRIPT_FILE.exec(file)!;
    const imports = importsOf(unit, ['KEYS', 'ARGV']);
    if (imports.length > MAX_UPVALUES) {
      throw new LibraryError(
        `${file} uses ${imports.length} helpers, above the ${MAX_UPVALUES} one Lua function can reach (upvalues): ` +
          'keep some helpers in a table',
      );
    }
    const name = `${HASH_PLACEHOLDER}_${script}`;
    functions.set(script!, { script: script!, name, numberOfKeys: Number(keys) });
    emit(`do -- ${file}`);
    emitImports(imports);
    emit(`redis.register_function{function_name = '${name}', callback = function(KEYS, ARGV)`);
    emitFile(unit);
    emit(READ_ONLY_SCRIPTS.has(script!) ? "end, flags = {'no-writes'}}" : 'end}');
    emit('end');
  }

  const text = `${lines.join('\n')}\n`;
  const name = `bo_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
  for (const fn of functions.values()) fn.name = fn.name.replace(HASH_PLACEHOLDER, name);
  return {
    name,
    source: text.replaceAll(HASH_PLACEHOLDER, name),
    functions,
    origin: (line) => origins[line - 1] ?? `library:${line}`,
  };
}

let defaultLibrary: FunctionLibrary | undefined;

/** The library of lua/, assembled once per process. */
export function functionLibrary(): FunctionLibrary {
  defaultLibrary ??= assembleLibrary();
  return defaultLibrary;
}

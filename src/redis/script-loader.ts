import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './client.js';

// Scripts live in lua/ as `camelName-<numberOfKeys>.lua`. The key count is read from the
// file name; `--@include name` pulls in lua/includes/name.lua (shared helpers), so there
// is no build step. Each script is registered once per connection under a namespaced name
// (`bo_camelName`), which ioredis runs by EVALSHA, falling back to EVAL on NOSCRIPT.

export const LUA_DIR = fileURLToPath(new URL('../../lua/', import.meta.url));

export interface LuaScript {
  name: string;
  numberOfKeys: number;
  source: string;
  sha1: string;
}

const SCRIPT_FILE = /^([a-z][A-Za-z]*)-(\d+)\.lua$/;
const INCLUDE_LINE = /^--@include (\w+)\s*$/gm;

export function readScripts(dir = LUA_DIR): LuaScript[] {
  return readdirSync(dir)
    .map((file) => SCRIPT_FILE.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([file, name, keys]) => {
      const source = resolveIncludes(readFileSync(join(dir, file), 'utf8'), dir);
      return { name: name!, numberOfKeys: Number(keys), source, sha1: createHash('sha1').update(source).digest('hex') };
    });
}

function resolveIncludes(source: string, dir: string, seen = new Set<string>()): string {
  return source.replace(INCLUDE_LINE, (_line, name: string) => {
    if (seen.has(name)) return `-- (${name} included above)`;
    seen.add(name);
    return resolveIncludes(readFileSync(join(dir, 'includes', `${name}.lua`), 'utf8'), dir, seen);
  });
}

export const commandName = (scriptName: string) => `bo_${scriptName}`;

/** Registers every script on a client; returns what was registered, by script name. */
export function registerScripts(client: RedisClient, scripts = readScripts()): Map<string, LuaScript> {
  for (const script of scripts) {
    client.defineCommand(commandName(script.name), { numberOfKeys: script.numberOfKeys, lua: script.source });
  }
  return new Map(scripts.map((script) => [script.name, script]));
}

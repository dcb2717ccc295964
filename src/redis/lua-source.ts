// What the library assembler needs to know of one Lua file, read from its tokens: the names
// it declares at its top level (its helpers, for an include), the free names it uses, and its
// `--@include`s. A small Lua 5.1 lexer: comments and strings are skipped, so a name inside
// them is never taken for a use.

export interface LuaFileFacts {
  includes: string[];
  /** names declared by `local` / `local function` outside any block, in order */
  topLevel: string[];
  /** names used as variables, neither a field (`a.name`), a method nor a table key */
  used: Set<string>;
  /** every name declared anywhere in the file: locals, parameters, loop variables */
  declared: Set<string>;
  /** names assigned to (`name = …`, `a, name = …`), declarations aside */
  assigned: Set<string>;
}

interface Token {
  kind: 'name' | 'keyword' | 'symbol' | 'literal';
  text: string;
}

const KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'if', 'in', 'local',
  'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]);
const OPENS_BLOCK = new Set(['function', 'do', 'if', 'repeat']);
const CLOSES_BLOCK = new Set(['end', 'until']);

const INCLUDE_LINE = /^--@include (\w+)\s*$/gm;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const LONG_BRACKET = /\[(=*)\[/y;
const SYMBOL = /\.\.\.|\.\.|==|~=|<=|>=|[-+*/%^#<>=(){}[\];:,.]/y;

function matchAt(pattern: RegExp, source: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(source)?.[0] ?? null;
}

/** The end (exclusive) of a long bracket opened at `at`, e.g. `[==[ ... ]==]`. */
function longBracketEnd(source: string, at: number, file: string): number | null {
  const open = matchAt(LONG_BRACKET, source, at);
  if (open === null) return null;
  const close = `]${'='.repeat(open.length - 2)}]`;
  const end = source.indexOf(close, at + open.length);
  if (end < 0) throw new Error(`${file}: unfinished long string or comment`);
  return end + close.length;
}

export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source[at]!;
    if (/\s/.test(char)) {
      at += 1;
    } else if (source.startsWith('--', at)) {
      const longEnd = longBracketEnd(source, at + 2, file);
      if (longEnd !== null) at = longEnd;
      else {
        const newline = source.indexOf('\n', at);
        at = newline < 0 ? source.length : newline + 1;
      }
    } else if (char === '"' || char === "'") {
      let end = at + 1;
      while (end < source.length && source[end] !== char) {
        if (source[end] === '\n') throw new Error(`${file}: unfinished string`);
        end += source[end] === '\\' ? 2 : 1;
      }
      if (end >= source.length) throw new Error(`${file}: unfinished string`);
      tokens.push({ kind: 'literal', text: source.slice(at, end + 1) });
      at = end + 1;
    } else {
      const longEnd = char === '[' ? longBracketEnd(source, at, file) : null;
      const name = longEnd === null ? matchAt(NAME, source, at) : null;
      const number = longEnd === null && name === null ? matchAt(NUMBER, source, at) : null;
      let token: Token;
      if (longEnd !== null) token = { kind: 'literal', text: source.slice(at, longEnd) };
      else if (name !== null) token = { kind: KEYWORDS.has(name) ? 'keyword' : 'name', text: name };
      else if (number !== null) token = { kind: 'literal', text: number };
      else {
        const symbol = matchAt(SYMBOL, source, at);
        if (symbol === null) throw new Error(`${file}: cannot read Lua at "${source.slice(at, at + 20)}"`);
        token = { kind: 'symbol', text: symbol };
      }
      tokens.push(token);
      at += token.text.length;
    }
  }
  return tokens;
}

/**
 * Names from `tokens[at]` on, separated by commas (a `local` list, parameters, loop
 * variables); their positions go into `declaring`.
 */
function nameList(tokens: Token[], at: number, declaring: Set<number>): string[] {
  const names: string[] = [];
  for (let i = at; tokens[i]?.kind === 'name' || tokens[i]?.text === '...'; i += 2) {
    if (tokens[i]!.kind === 'name') names.push(tokens[i]!.text);
    declaring.add(i);
    if (tokens[i + 1]?.text !== ',') break;
  }
  return names;
}

/** The plain names an `=` at `at` assigns to (none for a `local` statement or a field). */
function assignmentTargets(tokens: Token[], at: number): string[] {
  const targets: string[] = [];
  let i = at - 1;
  while (tokens[i]?.kind === 'name' && tokens[i - 1]?.text !== '.' && tokens[i - 1]?.text !== ':') {
    targets.push(tokens[i]!.text);
    if (tokens[i - 1]?.text !== ',') break;
    i -= 2;
  }
  return tokens[i - 1]?.text === 'local' ? [] : targets;
}

export function readLuaFile(source: string, file: string): LuaFileFacts {
  const includes = [...source.matchAll(INCLUDE_LINE)].map((match) => match[1]!);
  const tokens = tokenize(source, file);
  const topLevel: string[] = [];
  const used = new Set<string>();
  const declared = new Set<string>();
  const assigned = new Set<string>();
  const brackets: string[] = [];
  const declaring = new Set<number>();
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const { kind, text } = tokens[i]!;
    const before = tokens[i - 1]?.text;
    if (kind === 'keyword') {
      if (text === 'local') {
        const names = tokens[i + 1]?.text === 'function' ? nameList(tokens, i + 2, declaring).slice(0, 1) : nameList(tokens, i + 1, declaring);
        for (const name of names) declared.add(name);
        if (depth === 0) topLevel.push(...names);
      } else if (text === 'for') {
        for (const name of nameList(tokens, i + 1, declaring)) declared.add(name);
      }
      if (text === 'function') {
        const open = tokens.findIndex((token, index) => index > i && token.text === '(');
        for (const name of nameList(tokens, open + 1, declaring)) declared.add(name);
      }
      if (OPENS_BLOCK.has(text)) depth += 1;
      if (CLOSES_BLOCK.has(text)) depth -= 1;
      if (depth < 0) throw new Error(`${file}: more block ends than blocks`);
    } else if (kind === 'symbol') {
      if (text === '=' && brackets.at(-1) !== '{') {
        for (const name of assignmentTargets(tokens, i)) assigned.add(name);
      }
      if (text === '(' || text === '[' || text === '{') brackets.push(text);
      if (text === ')' || text === ']' || text === '}') brackets.pop();
    } else if (kind === 'name') {
      const field = before === '.' || before === ':';
      const tableKey = brackets.at(-1) === '{' && tokens[i + 1]?.text === '=' && (before === '{' || before === ',' || before === ';');
      if (!field && !tableKey && !declaring.has(i)) used.add(text);
    }
  }
  if (depth !== 0) throw new Error(`${file}: ${depth} block(s) not closed`);
  return { includes, topLevel, used, declared, assigned };
}

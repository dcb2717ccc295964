import fc from 'fast-check';

// Mutations of valid request bodies, for the HTTP fuzz tests: one field replaced by a random
// value, dropped, or joined by an unknown key, anywhere in the body.

/** Every JSON path of a value, as lists of keys and indexes. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => [[...prefix, index], ...pathsOf(item, [...prefix, index])]);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
  }
  return [];
}

type Mutation = { kind: 'replace' | 'drop' | 'add'; at: number; key: string; value: unknown };

/** A valid body (made fresh by `valid`) with one change somewhere inside it. */
export function mutated(valid: () => unknown, keys: fc.Arbitrary<string>, values: fc.Arbitrary<unknown>) {
  return fc.record({ kind: fc.constantFrom('replace', 'replace', 'drop', 'add'), at: fc.nat(), key: keys, value: values }).map((m: Mutation) => {
    const body = structuredClone(valid()) as Record<string, any>;
    const paths = pathsOf(body);
    if (paths.length === 0) return { [m.key]: m.value };
    const path = paths[m.at % paths.length]!;
    let parent: any = body;
    for (const step of path.slice(0, -1)) parent = parent[step];
    const last = path.at(-1)!;
    if (m.kind === 'replace') parent[last] = m.value;
    else if (m.kind === 'drop') Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
    else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last])) parent[last][m.key] = m.value;
    else body[m.key] = m.value;
    return body;
  });
}

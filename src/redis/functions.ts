import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { dataNodes, type RedisClient } from './client.js';
import { functionLibrary, LIBRARY_NAME, type FunctionLibrary } from './function-library.js';

// The library on Redis: loaded on every node that holds data (each Cluster master; replicas
// get it by replication), called by FCALL. A node can lack it: restarted without persistence,
// added by resharding, a replica promoted before it had synced. FCALL then answers "Function
// not found" before running anything, so the caller loads the library on every master and
// calls again, once. Loading a version a node has is a no-op.

const NOT_FOUND = /^ERR Function not found/;
const ALREADY_LOADED = /^ERR Library '[^']*' already exists/;
const LIBRARY_LINE = /user_function:(\d+)/g;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Loads the library on one node; resolves 'loaded', or 'present' when the node had it. */
export async function loadOn(node: Redis, library: FunctionLibrary): Promise<'loaded' | 'present'> {
  // Compiling the library takes Redis tens of ms, more when its core is busy: longer than a
  // request's command timeout may allow. So it goes on a connection of its own, without one.
  const loader = node.duplicate({ commandTimeout: undefined, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  loader.on('error', () => undefined);
  try {
    await loader.call('FUNCTION', 'LOAD', library.source);
    return 'loaded';
  } catch (error) {
    if (ALREADY_LOADED.test(messageOf(error))) return 'present';
    throw located(error, library);
  } finally {
    loader.disconnect();
  }
}

/**
 * Loads the library on every data node. Rejects only when no node took it: a master that is
 * down does not stop the others (its calls fail anyway, and reload once it is back).
 */
export async function loadLibrary(client: RedisClient, library = functionLibrary()): Promise<void> {
  const nodes = dataNodes(client);
  if (nodes.length === 0) throw new Error('no Redis node to load the function library on');
  const results = await Promise.allSettled(nodes.map((node) => loadOn(node, library)));
  const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed.length === results.length) throw failed[0]!.reason;
}

/**
 * Deletes, on every data node, the libraries of other versions of this service (`bo_<12 hex>`),
 * never `library` itself. An instance of another version still running loads its own back on
 * its next call (its FCALL finds nothing, runs nothing, and reloads): what stays is at most
 * the versions still running. Returns the names deleted.
 */
export async function pruneLibraries(client: RedisClient, library = functionLibrary()): Promise<string[]> {
  const deleted = new Set<string>();
  await Promise.all(
    dataNodes(client).map(async (node) => {
      const listed = (await node.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'bo_*')) as unknown[][];
      for (const entry of listed) {
        const name = String(entry[entry.indexOf('library_name') + 1]);
        if (!LIBRARY_NAME.test(name) || name === library.name) continue;
        try {
          await node.call('FUNCTION', 'DELETE', name);
          deleted.add(name);
        } catch (error) {
          if (!/Library not found/.test(messageOf(error))) throw error;
        }
      }
    }),
  );
  return [...deleted].sort();
}

/** Names the file and line of the library in a Redis error (`user_function:1234` → `hold-1.lua:40`). */
function located(error: unknown, library: FunctionLibrary): unknown {
  if (error instanceof Error) {
    error.message = error.message.replace(LIBRARY_LINE, (_text, line: string) => library.origin(Number(line)));
  }
  return error;
}

/**
 * At start: the library on every master (a version already there is kept), then the other
 * versions' libraries deleted. An instance of another version still running reloads its own
 * on its next call, so a rolling deploy loses nothing (docs/design.md).
 */
export async function loadFunctionLibrary(client: RedisClient, logger: Logger): Promise<void> {
  const library = functionLibrary();
  await loadLibrary(client, library);
  try {
    const pruned = await pruneLibraries(client, library);
    if (pruned.length > 0) logger.info({ library: library.name, pruned }, 'deleted the Lua libraries of other versions');
  } catch (error) {
    logger.warn({ err: String(error) }, 'could not prune the Lua libraries of other versions');
  }
}

/** Calls the library's functions on one client (a Redis or a Cluster: FCALL goes to the node of its first key). */
export class FunctionCalls {
  private reloading: Promise<void> | null = null;

  constructor(
    private readonly client: RedisClient,
    readonly library: FunctionLibrary = functionLibrary(),
  ) {}

  /** FCALL of the script's function with its keys, then its arguments. */
  async call(script: string, keysThenArgs: (string | number)[]): Promise<unknown> {
    const fn = this.library.functions.get(script);
    if (!fn) throw new Error(`no Lua script named ${script}`);
    try {
      return await this.client.fcall(fn.name, fn.numberOfKeys, ...keysThenArgs);
    } catch (error) {
      if (!NOT_FOUND.test(messageOf(error))) throw located(error, this.library);
    }
    await this.reload();
    try {
      return await this.client.fcall(fn.name, fn.numberOfKeys, ...keysThenArgs);
    } catch (error) {
      throw located(error, this.library);
    }
  }

  /**
   * FCALLs of several scripts, then the commands `andThen` adds, in one MULTI: nothing else
   * runs between them (their keys must share a Cluster slot). A node that lacks the library
   * runs none of the calls (they are all in it): it is loaded and the transaction sent again,
   * once. Resolves each command's [error, reply], in order.
   */
  async transaction(
    calls: { script: string; keysThenArgs: (string | number)[] }[],
    andThen: (multi: ChainableCommander) => void,
  ): Promise<[Error | null, unknown][]> {
    for (const last of [false, true]) {
      const multi = this.client.multi();
      for (const { script, keysThenArgs } of calls) {
        const fn = this.library.functions.get(script);
        if (!fn) throw new Error(`no Lua script named ${script}`);
        multi.fcall(fn.name, fn.numberOfKeys, ...keysThenArgs);
      }
      andThen(multi);
      // FCALL finds its function when EXEC runs it: a missing library is a reply of each call.
      const results = await multi.exec();
      if (!results) throw new Error('MULTI was aborted');
      const missing = results.some(([error]) => error && NOT_FOUND.test(error.message));
      if (!missing || last) return results.map(([error, reply]) => [error ? (located(error, this.library) as Error) : null, reply]);
      await this.reload();
    }
    throw new Error('unreachable');
  }

  /** One load at a time per client: calls that all found nothing wait for the same one. */
  private reload(): Promise<void> {
    this.reloading ??= loadLibrary(this.client, this.library).finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }
}

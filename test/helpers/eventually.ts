// Waiting: poll until a condition holds (instead of sleeping a fixed time and hoping), or
// until a known time has passed.

export interface EventuallyOptions {
  /** give up after this long (default 10 s: machines are noisy) */
  timeoutMs?: number;
  /** pause between attempts (default 50 ms) */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns without throwing and its result is not `false`; returns
 * that result. After the deadline, throws the last error (or a timeout error).
 */
export async function eventually<T>(check: () => Promise<T> | T, options: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      lastError = new Error('condition was false');
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw Object.assign(new Error(`eventually: not true within ${timeoutMs} ms: ${reason}`), { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sleeps until a given ISO time has passed (plus a margin). */
export async function untilPast(iso: string, marginMs = 50): Promise<void> {
  const wait = Date.parse(iso) - Date.now() + marginMs;
  if (wait > 0) await sleep(wait);
}

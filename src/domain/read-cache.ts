// The last answer of a read per key, with the version it was read at, so that a read can
// send that version and, when nothing changed, take the answer it has (the scripts answer
// "unchanged" after checking the version and that no hold fell due). Bounded: the least
// recently used keys go first.

export class VersionedCache<T> {
  private readonly entries = new Map<string, { version: string; value: T }>();

  constructor(private readonly maxEntries = 1_000) {}

  /** the version to send ('' when nothing is cached) */
  versionOf(key: string): string {
    return this.entries.get(key)?.version ?? '';
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, version: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { version, value });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

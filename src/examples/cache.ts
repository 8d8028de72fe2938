/**
 * The result cache: a block's actual output, keyed by a hash of everything that can change it
 * (its code and fence meta, the Pyodide version, and the runner's and transcript model's
 * source), so that unchanged examples are not re-run. It lives outside the content
 * (node_modules/.cache by default), is one JSON file, and is safe to delete at any time.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExampleBlock } from './extract.ts';
import type { RecordedOutput } from './output.ts';
import { RunnerPool } from './pool.ts';
import { ALTERNATE_HASH_SEED } from './runner.ts';
import { writeFileAtomic } from './update.ts';

/** Default cache folder, the conventional place tools keep caches in a Node project. */
export const DEFAULT_CACHE_DIR = 'node_modules/.cache/verified-examples';

/** Files whose text changes what a block's recorded output would be. */
// verify.ts decides how a block is run (twice, the second time with another hash seed and a
// shifted heap): a change there can turn a cached pass into a failure.
const RUNTIME_SOURCES = ['./runner.py', './runner.ts', './output.ts', './verify.ts'];

/**
 * A fingerprint of the runtime: Pyodide's version and the runner's sources (sha256, hex).
 * @throws when a runner source cannot be read.
 */
export async function runtimeFingerprint(pyodideVersion: string): Promise<string> {
  const hash = createHash('sha256').update(`pyodide ${pyodideVersion}\n`);
  for (const source of RUNTIME_SOURCES) hash.update(await readFile(new URL(source, import.meta.url)));
  return hash.digest('hex');
}

/** The cache key of one block under a runtime fingerprint (sha256, hex). */
export function cacheKey(block: ExampleBlock, fingerprint: string): string {
  return createHash('sha256')
    .update(JSON.stringify([fingerprint, block.rawMeta, block.code]))
    .digest('hex');
}

/** Cached outputs, loaded from and saved to `<dir>/results.json`. */
export class ResultCache {
  private readonly file: string;
  private readonly entries: Map<string, RecordedOutput>;
  private dirty = false;

  private constructor(file: string, entries: Map<string, RecordedOutput>) {
    this.file = file;
    this.entries = entries;
  }

  /**
   * Open the cache in `dir`; a missing or unreadable file gives an empty cache (it is only a cache).
   */
  static async open(dir: string): Promise<ResultCache> {
    const file = join(dir, 'results.json');
    let entries = new Map<string, RecordedOutput>();
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as { version: 1; entries: Record<string, RecordedOutput> };
      if (data.version === 1) entries = new Map(Object.entries(data.entries));
    } catch {
      // absent or corrupt: start empty
    }
    return new ResultCache(file, entries);
  }

  /** The cached transcript for `key`, or undefined. */
  get(key: string): RecordedOutput | undefined {
    return this.entries.get(key);
  }

  /** Remember the transcript of a deterministic, successful run (saved by {@link save}). */
  set(key: string, output: RecordedOutput): void {
    this.entries.set(key, output);
    this.dirty = true;
  }

  /**
   * Keep only `keys` (entries of blocks that no longer exist are dropped) and write the file
   * atomically if anything changed.
   * @throws the file system's error when the folder cannot be written.
   */
  async save(keys?: ReadonlySet<string>): Promise<void> {
    if (keys) {
      for (const key of this.entries.keys()) {
        if (!keys.has(key)) {
          this.entries.delete(key);
          this.dirty = true;
        }
      }
    }
    if (!this.dirty) return;
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) }));
    this.dirty = false;
  }
}

/**
 * Start a {@link RunnerPool} from the memory snapshots kept in `dir` for this runtime
 * fingerprint (hash seed 0 and the alternate seed), or make and keep them: later runs (the CLI,
 * the dev server) then restore them in ≈0.2 s instead of a ≈2–3 s cold load. The files (≈30 MB
 * each) are safe to delete.
 * @param size worker threads.
 * @throws when Pyodide cannot load, or the folder cannot be written.
 */
export async function startCachedPool(dir: string, fingerprint: string, size: number): Promise<RunnerPool> {
  const file = join(dir, `snapshot-${fingerprint.slice(0, 16)}.bin`);
  const alternateFile = join(dir, `snapshot-${fingerprint.slice(0, 16)}-seed${ALTERNATE_HASH_SEED}.bin`);
  const [saved, savedAlternate] = await Promise.all([file, alternateFile].map((f) => readFile(f).catch(() => null)));
  const pool = await RunnerPool.create({
    size,
    snapshot: saved ? new Uint8Array(saved) : undefined,
    alternateSnapshot: savedAlternate ? new Uint8Array(savedAlternate) : undefined,
  });
  if (!saved || !savedAlternate) await mkdir(dir, { recursive: true });
  if (!saved) await writeFileAtomic(file, pool.snapshot);
  if (!savedAlternate) await writeFileAtomic(alternateFile, pool.alternateSnapshot);
  return pool;
}

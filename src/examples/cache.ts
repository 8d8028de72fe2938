/**
 * The cache folder (node_modules/.cache/verified-examples by default): a result cache (one JSON
 * file, `results.json`) so that unchanged examples are not re-run, and the interpreter snapshots
 * that workers restore instead of a cold load (see {@link startCachedPool}). Everything in it is
 * safe to delete at any time, and nothing in it can break or fool a run:
 *
 * - A file that cannot be used (not JSON, the wrong shape, a truncated or garbled snapshot, one
 *   made by another runtime or for another hash seed) is ignored with one warning naming it, and
 *   rebuilt. Snapshots carry a header with their runtime, hash seed, length and sha256
 *   (snapshot-file.ts), checked before Pyodide sees them; one that still fails to restore is
 *   deleted and the pool starts cold.
 * - A folder that cannot be written (a file in its place, a read-only disk, a full disk) gives a
 *   warning and a run without a saved cache; nothing here throws for it, so the report is never lost.
 * - Every write is atomic (update.ts `writeFileAtomic`: a temporary file, then rename(2)); a failed
 *   write removes its temporary file.
 *
 * What the key of a block's result covers, that is, every input that can change a block's actual
 * output or whether that output is accepted (and so cached):
 *
 * - in {@link cacheKey}: the block's code and its whole fence meta (`timeout=`, `nondeterministic`,
 *   `ellipsis`, `runtime` and presentation keys alike); for a `runtime=native` block, the native
 *   CPython's full version (`sys.version`: its output is that interpreter's); the effective time limit (the `timeout=` meta, else the
 *   default the CLI's `--timeout` or the dev server sets): a block that finishes in 1.5 s passes
 *   under 5 s and fails under 1 s; the output limit in bytes; and, when the recorded output
 *   contains `[...]`, the recorded output itself, because two differing runs are accepted when
 *   both match its wildcards (verify.ts).
 * - in {@link runtimeFingerprint}: the Pyodide version; the Node version (V8 runs the
 *   WebAssembly, and JSPI support decides whether `asyncio.run` works); every source of
 *   src/examples except those listed in {@link KEY_INDEPENDENT_SOURCES}: the runner (runner.py,
 *   runner.ts, runner-node.ts, the memory cap), the worker and pool (time limits and their grace
 *   period, kills), the transcript model (output.ts), meta parsing (meta.ts), comparison
 *   (compare.ts) and the verify policy (verify.ts: runs twice, with which differences). A new
 *   module there is covered without a change here.
 *
 * Not in the key, because they cannot change a block's result: the file and line the block is
 * in (the same code elsewhere has the same result; tracebacks always name `example.py`), the
 * recorded output when it has no `[...]` (it is compared with the cached actual output on every
 * run), `--update`, `--reporter`, `--list`, and `--jobs`, `--reverse`, `--shard` (which worker
 * runs a block, and after which others: every block starts from fresh state; a dependence on
 * them is a leak, caught by the verifier's second run, not a cache input). Failed runs (a time
 * limit, an interpreter fault, too much output, nondeterministic output) are never cached. A new
 * CLI option that reaches the runner must be added to {@link KeyOptions}.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ELLIPSIS } from './compare.ts';
import type { ExampleBlock } from './extract.ts';
import type { RecordedOutput } from './output.ts';
import { DEFAULT_TIMEOUT_MS } from './pool.ts';
import { SandboxedPool } from './sandbox-pool.ts';
import { ALTERNATE_HASH_SEED, DEFAULT_MAX_OUTPUT_BYTES } from './runner.ts';
import { decodeSnapshotFile, encodeSnapshotFile, type SnapshotIdentity } from './snapshot-file.ts';
import { writeFileAtomic } from './update.ts';

/** Default cache folder, the conventional place tools keep caches in a Node project. */
export const DEFAULT_CACHE_DIR = 'node_modules/.cache/verified-examples';

/**
 * The version of this module's key scheme and file formats; part of the fingerprint, so that a
 * change here makes new keys and new snapshot names instead of misreading old ones.
 */
const CACHE_FORMAT = 2;

/**
 * Files of src/examples that cannot change a block's result, so that editing them keeps the
 * cache: this module and the snapshot format (versioned by {@link CACHE_FORMAT}); extraction
 * (its products, the code and meta, are in the key); the reports; the writer of `--update`.
 */
export const KEY_INDEPENDENT_SOURCES: readonly string[] = [
  'cache.ts',
  'snapshot-file.ts',
  'extract.ts',
  'report.ts',
  'update.ts',
  'shard.ts',
];

/**
 * Receives one warning line (without a `warning: ` prefix), e.g. `ignoring corrupt cache file
 * node_modules/.cache/verified-examples/results.json (not JSON); it will be rebuilt`. The same
 * line may come more than once (a folder that cannot be written, for results and snapshots).
 */
export type CacheWarn = (message: string) => void;

/** Default {@link CacheWarn}: `warning: …` on stderr, through console.warn. */
const consoleWarn: CacheWarn = (message) => console.warn(`warning: ${message}`);

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException)?.code ?? String((error as Error)?.message ?? error).split('\n')[0];

/** The warning for a cache file that is ignored; it names the file and says why. */
const corrupt = (file: string, why: string) => `ignoring corrupt cache file ${file} (${why}); it will be rebuilt`;

/** The warning for a folder that cannot be written; one line, the same for every file in it. */
const unwritable = (dir: string, error: unknown) =>
  `cannot write to the cache folder ${dir} (${errorCode(error)}); continuing without saving the cache`;

/**
 * A fingerprint of the runtime (sha256, 64 hex digits): the Pyodide version, the Node version,
 * the cache format and the text of every source in src/examples that can change a block's
 * result (see the module comment).
 * @param pyodideVersion e.g. `314.0.7` (runner-node.ts `PYODIDE_VERSION`).
 * @throws when the folder or a source in it cannot be read.
 */
export async function runtimeFingerprint(pyodideVersion: string): Promise<string> {
  const hash = createHash('sha256').update(`cache format ${CACHE_FORMAT}\npyodide ${pyodideVersion}\nnode ${process.versions.node}\n`);
  const folder = new URL('.', import.meta.url);
  const names = (await readdir(folder)).filter((name) => /\.(ts|py)$/.test(name) && !KEY_INDEPENDENT_SOURCES.includes(name)).sort();
  for (const name of names)
    hash
      .update(`${name}\n`)
      .update(await readFile(new URL(name, folder)))
      .update('\n');
  return hash.digest('hex');
}

/** Options of a run that are not in the block itself; see {@link cacheKey}. */
export interface KeyOptions {
  /** The default time limit in ms, used when the block has no `timeout=` meta. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Output limit in bytes. Default runner.ts {@link DEFAULT_MAX_OUTPUT_BYTES}. */
  maxOutputBytes?: number;
  /**
   * The native CPython's full version (`sys.version`, native.ts `NativeInterpreter.full`): in the
   * key of `runtime=native` blocks only, which it runs (a patch release can change their output).
   */
  nativeVersion?: string;
}

/**
 * The cache key of one block (sha256, 64 hex digits): the runtime fingerprint, the block's code
 * and fence meta, its effective time limit in ms, the output limit in bytes, its recorded
 * output when that contains `[...]`, and for a `runtime=native` block the native CPython's full
 * version (see the module comment for why each is there).
 * @param fingerprint from {@link runtimeFingerprint}.
 */
export function cacheKey(block: ExampleBlock, fingerprint: string, options: KeyOptions = {}): string {
  const timeoutMs = block.meta.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const recorded = block.output?.recorded;
  const wildcards = recorded?.text.includes(ELLIPSIS) ? recorded : null;
  // Appended only for native blocks, so that the keys of Pyodide blocks stay what they were.
  const native = block.meta.runtime === 'native' ? [options.nativeVersion ?? null] : [];
  return createHash('sha256')
    .update(JSON.stringify([fingerprint, block.rawMeta, block.code, timeoutMs, maxOutputBytes, wildcards, ...native]))
    .digest('hex');
}

/** True for a well-formed {@link RecordedOutput}, as `transcriptFromChunks` makes them. */
function isRecordedOutput(value: unknown): value is RecordedOutput {
  if (typeof value !== 'object' || value === null) return false;
  const { text, stderrLines, exitStatus, python } = value as Partial<RecordedOutput>;
  return (
    typeof text === 'string' &&
    (python === undefined || typeof python === 'string') &&
    Number.isInteger(exitStatus) &&
    exitStatus! >= 0 &&
    exitStatus! <= 255 &&
    Array.isArray(stderrLines) &&
    stderrLines.every((line, i) => Number.isInteger(line) && line >= 1 && (i === 0 || line > stderrLines[i - 1]!))
  );
}

/**
 * The entries of a results file's text, or why it cannot be used.
 * @returns a map key → output, `null` for a file of another format version (read as empty, with
 *   no warning: another version of the verifier wrote it), or a string saying what is wrong.
 */
function parseResults(text: string): Map<string, RecordedOutput> | null | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return text.length === 0 ? 'empty file' : 'not JSON';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not an object';
  const { version, entries } = data as { version?: unknown; entries?: unknown };
  if (typeof version === 'number' && version !== 1) return null;
  if (version !== 1 || typeof entries !== 'object' || entries === null || Array.isArray(entries)) return 'not a results file';
  const map = new Map<string, RecordedOutput>();
  for (const [key, output] of Object.entries(entries)) {
    if (!/^[0-9a-f]{64}$/.test(key) || !isRecordedOutput(output)) return `a malformed entry ${JSON.stringify(key.slice(0, 16))}`;
    map.set(key, output);
  }
  return map;
}

/** Cached outputs, loaded from and saved to `<dir>/results.json`. */
export class ResultCache {
  private readonly file: string;
  private readonly entries: Map<string, RecordedOutput>;
  private readonly warn: CacheWarn;
  private dirty: boolean;

  private constructor(file: string, entries: Map<string, RecordedOutput>, warn: CacheWarn, dirty: boolean) {
    this.file = file;
    this.entries = entries;
    this.warn = warn;
    this.dirty = dirty;
  }

  /**
   * Open the cache in `dir`. A missing file or folder gives an empty cache; so does a file that
   * cannot be read or used (not JSON, the wrong shape, a malformed entry), with a warning naming
   * it; it is rewritten by the next {@link save}. Keys are 64 hex digits ({@link cacheKey}).
   * @param warn receives the warnings (default: console.warn).
   * @returns the cache; never throws for the folder's contents.
   */
  static async open(dir: string, warn: CacheWarn = consoleWarn): Promise<ResultCache> {
    const file = join(dir, 'results.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // ENOENT: no cache yet; ENOTDIR: a file where a folder should be, reported by save().
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') warn(corrupt(file, `cannot be read: ${code}`));
      return new ResultCache(file, new Map(), warn, code !== 'ENOENT' && code !== 'ENOTDIR');
    }
    const parsed = parseResults(text);
    if (typeof parsed === 'string') warn(corrupt(file, parsed));
    return new ResultCache(file, parsed instanceof Map ? parsed : new Map(), warn, !(parsed instanceof Map));
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
   * atomically if anything changed (or the file was unusable).
   * @returns false when the folder cannot be written (after a warning), else true. Never throws.
   */
  async save(keys?: ReadonlySet<string>): Promise<boolean> {
    if (keys) {
      for (const key of this.entries.keys()) {
        if (!keys.has(key)) {
          this.entries.delete(key);
          this.dirty = true;
        }
      }
    }
    if (!this.dirty) return true;
    const dir = join(this.file, '..');
    try {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) }));
    } catch (error) {
      this.warn(unwritable(dir, error));
      return false;
    }
    this.dirty = false;
    return true;
  }
}

/** Snapshot file names: `snapshot-<16 hex of the fingerprint>[-seed<n>].bin`. */
const SNAPSHOT_NAME = /^snapshot-[0-9a-f]{16}(-seed\d+)?\.bin$/;

/** A temporary file older than this (ms) was left by a process that died mid-write. */
const STALE_TEMPORARY_MS = 10 * 60_000;

/** The snapshot file for `identity` in `dir`. */
function snapshotFile(dir: string, identity: SnapshotIdentity): string {
  const seed = identity.hashSeed === 0 ? '' : `-seed${identity.hashSeed}`;
  return join(dir, `snapshot-${identity.fingerprint.slice(0, 16)}${seed}.bin`);
}

/** A saved snapshot, checked; undefined when absent or unusable (with a warning; the file is deleted). */
async function readSnapshot(file: string, identity: SnapshotIdentity, warn: CacheWarn): Promise<Uint8Array | undefined> {
  let data: Uint8Array;
  try {
    data = await readFile(file);
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') warn(corrupt(file, `cannot be read: ${code}`));
    return undefined;
  }
  const decoded = decodeSnapshotFile(data, identity);
  if ('snapshot' in decoded) return decoded.snapshot;
  warn(corrupt(file, decoded.problem));
  await rm(file, { force: true }).catch(() => undefined);
  return undefined;
}

/**
 * Delete what earlier runs left: snapshots of other runtimes (≈30 MB each; they are never read
 * again once the sources changed) and temporary files of writes that died. Best effort.
 */
async function pruneFolder(dir: string, keep: readonly string[]): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(dir, name);
    if (SNAPSHOT_NAME.test(name) && !keep.includes(path)) await rm(path, { force: true }).catch(() => undefined);
    else if (name.endsWith('.tmp')) {
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > STALE_TEMPORARY_MS) await rm(path, { force: true }).catch(() => undefined);
    }
  }
}

/**
 * Start a {@link SandboxedPool} (the runner pool in its sandbox process) from the memory snapshots kept in `dir` for this runtime
 * fingerprint (hash seed 0 and the alternate seed), or make and keep them: later runs (the CLI,
 * the dev server) then restore them in ≈0.2 s instead of a ≈2–3 s cold load. The files (≈30 MB
 * each) are safe to delete.
 *
 * A snapshot file that fails its checks (snapshot-file.ts) is deleted with a warning and made
 * again. If the pool still fails to start from the saved snapshots, they are deleted with a
 * warning and the pool starts cold. A folder that cannot be written gives a warning; the pool
 * is returned all the same.
 * @param fingerprint from {@link runtimeFingerprint}.
 * @param size worker threads.
 * @param warn receives the warnings (default: console.warn).
 * @throws only when Pyodide cannot load cold (SandboxedPool.create's error).
 */
export async function startCachedPool(
  dir: string,
  fingerprint: string,
  size: number,
  warn: CacheWarn = consoleWarn,
): Promise<SandboxedPool> {
  const identities: SnapshotIdentity[] = [
    { fingerprint, hashSeed: 0 },
    { fingerprint, hashSeed: ALTERNATE_HASH_SEED },
  ];
  const files = identities.map((identity) => snapshotFile(dir, identity));
  let saved = await Promise.all(identities.map((identity, i) => readSnapshot(files[i]!, identity, warn)));
  let pool: SandboxedPool;
  try {
    pool = await SandboxedPool.create({ size, snapshot: saved[0], alternateSnapshot: saved[1] });
  } catch (error) {
    if (!saved[0] && !saved[1]) throw error;
    // The files passed their checks, so they are what an earlier run wrote; that they do not
    // restore means that run made them wrong. Do not try them again: start cold.
    const why = `Pyodide could not restore it: ${String((error as Error)?.message ?? error).split('\n')[0]}`;
    for (const [i, file] of files.entries()) {
      if (!saved[i]) continue;
      warn(corrupt(file, why));
      await rm(file, { force: true }).catch(() => undefined);
    }
    saved = [undefined, undefined];
    pool = await SandboxedPool.create({ size });
  }
  if (saved[0] && saved[1]) return pool;
  try {
    await mkdir(dir, { recursive: true });
    if (!saved[0]) await writeFileAtomic(files[0]!, encodeSnapshotFile(pool.snapshot, identities[0]!));
    if (!saved[1]) await writeFileAtomic(files[1]!, encodeSnapshotFile(pool.alternateSnapshot, identities[1]!));
  } catch (error) {
    warn(unwritable(dir, error));
    return pool;
  }
  await pruneFolder(dir, files);
  return pool;
}

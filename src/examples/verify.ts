/**
 * Verification: the pipeline's entry point. For each content file: extract → run → compare, and
 * with `update`, splice re-recorded outputs back. Check and update are one code path with a mode.
 */
import { readFile } from 'node:fs/promises';
import { diffOutputs, ELLIPSIS, outputsMatch } from './compare.ts';
import { extractExamples, type ContentProblem, type ExampleBlock } from './extract.ts';
import { transcriptFromChunks, type RecordedOutput } from './output.ts';
import type { RunResult } from './runner.ts';
import { applyOutputEdits, writeFileAtomic, type OutputEdit } from './update.ts';

/**
 * What happened to one block. `updated`: drifted or missing, and re-recorded by `--update`;
 * `failed`: the run itself went wrong (time limit, interpreter fault, output that differs between
 * two runs), which `--update` never records.
 */
export type BlockStatus = 'passed' | 'drifted' | 'missing' | 'skipped' | 'updated' | 'failed';

/** One block's outcome. */
export interface BlockResult {
  block: ExampleBlock;
  status: BlockStatus;
  /** What the run printed (absent for skipped blocks). */
  actual?: RecordedOutput;
  /** Unified diff recorded → actual (`drifted`, `updated`), or first run → second run (nondeterministic). */
  diff?: string;
  /** Why a `failed` block failed, in one sentence. */
  reason?: string;
  /** Total run time in ms (absent for skipped and cached blocks). */
  durationMs?: number;
  /** The actual output came from the result cache, not from a run. */
  cached?: boolean;
}

/** One file's outcome. */
export interface FileReport {
  file: string;
  results: BlockResult[];
  /** Problems that stop the file from being verified or updated (see extract.ts). */
  problems: ContentProblem[];
  /** True when `--update` rewrote the file. */
  written: boolean;
}

/** One run as the verifier needs it: the runner's result, plus time-limit flags from a pool. */
export type BlockRun = RunResult & { timedOut?: boolean; killed?: boolean };

/** Anything that runs a block: a {@link RunnerPool} or an {@link ExampleRunner}. */
export interface BlockRunner {
  run(code: string, options?: { timeoutMs?: number; shiftHeap?: boolean; alternateSeed?: boolean }): Promise<BlockRun>;
}

/** Where cached outputs come from and go to; see cache.ts. */
export interface OutputCache {
  get(key: string): RecordedOutput | undefined;
  set(key: string, output: RecordedOutput): void;
}

/** Options of {@link verifyFiles}. */
export interface VerifyOptions {
  runner: BlockRunner;
  /** Re-record drifted and missing outputs into the files. */
  update?: boolean;
  /** Start blocks in reverse order (to show that order does not matter). */
  reverse?: boolean;
  /** Default per-block time limit in ms (a block's `timeout=` meta wins). */
  timeoutMs?: number;
  /** Result cache and the key of a block in it; no caching when absent. */
  cache?: { store: OutputCache; key: (block: ExampleBlock) => string };
  /** Called after each block with its result, for progress output. */
  onResult?: (result: BlockResult, done: number, total: number) => void;
}

/** A content file, read and extracted. */
export interface ContentFile {
  file: string;
  source: string;
  blocks: ExampleBlock[];
  problems: ContentProblem[];
}

/**
 * Read and extract every file (all before running, which gives an exact total for progress).
 * @throws the file system's error for an unreadable file.
 */
export async function readContent(files: readonly string[]): Promise<ContentFile[]> {
  return Promise.all(
    files.map(async (file) => {
      const source = await readFile(file, 'utf8');
      return { file, source, ...extractExamples(file, source) };
    }),
  );
}

/** Why a run cannot count as a result, or null. */
function runFailure(run: BlockRun, timeoutMs: number | undefined): string | null {
  const limit = `${((timeoutMs ?? 0) / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  if (run.killed) return `timed out after ${limit}; it ignored KeyboardInterrupt and its interpreter was killed (no finally ran)`;
  if (run.timedOut) return `timed out after ${limit}; KeyboardInterrupt stopped it (raise the limit with timeout=… in the fence meta)`;
  if (run.fault) return `the interpreter failed: ${run.fault}`;
  if (run.truncatedBytes) return `printed too much output: ${run.truncatedBytes} bytes past the limit were dropped`;
  return null;
}

/** Run one block (twice unless `nondeterministic`) and judge it against its recorded output. */
async function judge(block: ExampleBlock, options: VerifyOptions): Promise<BlockResult> {
  const label = `${block.file}:${block.line}`;
  const recorded = block.output?.recorded;
  const key = options.cache?.key(block);
  let actual = key ? options.cache!.store.get(key) : undefined;
  const cached = actual !== undefined;
  let durationMs: number | undefined;
  if (!actual) {
    const timeoutMs = block.meta.timeoutMs ?? options.timeoutMs;
    const code = block.code + '\n';
    const first = await options.runner.run(code, { timeoutMs });
    durationMs = first.durationMs;
    actual = transcriptFromChunks(first.chunks, first.exitStatus);
    const failure = runFailure(first, timeoutMs);
    if (failure) return { block, status: 'failed', actual, reason: failure, durationMs };
    if (!block.meta.nondeterministic) {
      // Run twice: output that changes between runs (id(), time, set order) would drift at random.
      // Both runs would start from the same state, so the second shifts object addresses and
      // uses another hash seed: an id(), a default repr or the order of a set of strings then
      // differs between them, as between two runs of CPython.
      const second = await options.runner.run(code, { timeoutMs, shiftHeap: true, alternateSeed: true });
      const again = transcriptFromChunks(second.chunks, second.exitStatus);
      const failure2 = runFailure(second, timeoutMs);
      if (failure2) return { block, status: 'failed', actual: again, reason: failure2, durationMs };
      const bothMatch = recorded?.text.includes(ELLIPSIS) && outputsMatch(recorded, actual) && outputsMatch(recorded, again);
      if (!outputsMatch(actual, again) && !bothMatch) {
        return {
          block,
          status: 'failed',
          actual,
          durationMs,
          reason:
            'output differs between two runs (nondeterministic): make it deterministic, or mark the fence `nondeterministic` and write [...] where it varies',
          diff: diffOutputs(`${label} (first run vs second run)`, actual, again),
        };
      }
    }
    if (key) options.cache!.store.set(key, actual);
  }
  if (!recorded) return { block, status: 'missing', actual, durationMs, cached };
  if (outputsMatch(recorded, actual)) return { block, status: 'passed', actual, durationMs, cached };
  return { block, status: 'drifted', actual, durationMs, cached, diff: diffOutputs(label, recorded, actual) };
}

/**
 * Verify (and with `update`, re-record) the examples of `files`.
 *
 * Blocks are started in source order (or reversed) and run concurrently as far as the runner
 * allows (a pool runs one per worker); results are reported in source order.
 *
 * @param files content file paths, reported as given.
 * @returns one report per file, in the order given; blocks in source order.
 * @throws file system errors (unreadable file, failed write) and runtime failures of the runner.
 */
export async function verifyFiles(files: readonly string[], options: VerifyOptions): Promise<FileReport[]> {
  const loaded = await readContent(files);
  const jobs = loaded.flatMap((entry) => (entry.problems.length ? [] : entry.blocks.filter((b) => b.meta.norun === null)));
  if (options.reverse) jobs.reverse();
  const results = new Map<ExampleBlock, BlockResult>();
  let done = 0;
  await Promise.all(
    jobs.map(async (block) => {
      const result = await judge(block, options);
      results.set(block, result);
      options.onResult?.(result, ++done, jobs.length);
    }),
  );
  const reports: FileReport[] = [];
  for (const { file, source, blocks, problems } of loaded) {
    const fileResults = blocks.map((block) => results.get(block) ?? { block, status: 'skipped' as const });
    let written = false;
    if (options.update && problems.length === 0) {
      const stale = fileResults.filter((r) => r.status === 'drifted' || r.status === 'missing');
      if (stale.length) {
        await writeFileAtomic(
          file,
          applyOutputEdits(
            source,
            stale.map((r): OutputEdit => ({ block: r.block, output: r.actual! })),
          ),
        );
        written = true;
        for (const r of stale) r.status = 'updated';
      }
    }
    reports.push({ file, results: fileResults, problems, written });
  }
  return reports;
}

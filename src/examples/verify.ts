/**
 * Verification: the pipeline's entry point. For each content file: extract → run → compare, and
 * with `update`, splice re-recorded outputs back. Check and update are one code path with a mode.
 */
import { readFile } from 'node:fs/promises';
import { diffOutputs, literalEllipsis, outputsMatch } from './compare.ts';
import { extractExamples, type ContentProblem, type ExampleBlock } from './extract.ts';
import { nativeSkipReason, type NativeProbe } from './native.ts';
import { transcriptFromChunks, type RecordedOutput } from './output.ts';
import type { RunResult } from './runner.ts';
import type { StdoutMode } from './stdio-options.ts';
import { diffSteps, sameSteps, traceSteps } from './trace-fence.ts';
import { type OutputEdit, writeUpdates } from './update.ts';

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
  /** Why a `failed` block failed, or why a `skipped` native block was not run, in one sentence. */
  reason?: string;
  /** Total run time in ms (absent for skipped and cached blocks). */
  durationMs?: number;
  /** The actual output came from the result cache, not from a run. */
  cached?: boolean;
  /**
   * For a `drifted` or `missing` block with the `trace` meta whose output itself matched: only
   * its trace fence drifted or is missing (`--update` then rewrites only the trace fence).
   */
  traceOnly?: boolean;
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

/**
 * One run as the verifier needs it: the runner's result, plus time-limit flags from a pool, and
 * for a native run the interpreter's `major.minor` (native.ts), recorded as the output's `python`.
 */
export type BlockRun = RunResult & { timedOut?: boolean; killed?: boolean; killReason?: 'delivered' | 'undelivered'; python?: string };

/** Anything that runs a block: a {@link RunnerPool} or an {@link ExampleRunner}. */
export interface BlockRunner {
  /**
   * Run `code` (a block's source with a final newline). `timeoutMs`: time limit in ms;
   * `shiftHeap` and `alternateSeed`: the second run's differences (runner.ts `RunOptions`,
   * pool.ts `PoolRunOptions`); `fresh`: in an interpreter restored from the snapshot for this run;
   * `stdout` and `env`: the block's `stdout=pipe` and `env=` meta.
   */
  run(code: string, options?: RunRequest): Promise<BlockRun>;
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
  /**
   * How `runtime=native` blocks run: this machine's CPython (native.ts `probeNativePython`) and a
   * runner for it (a `NativeRunner`). Without it, or without a usable CPython of the block's
   * recorded `python=` version, they are skipped with the reason (native.ts `nativeSkipReason`).
   */
  native?: { probe: NativeProbe; runner?: BlockRunner };
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
  if (run.killed && run.killReason === 'undelivered')
    return `timed out after ${limit}; KeyboardInterrupt could not be raised in it (it was blocked in a call that does not check for signals), so its interpreter was killed`;
  if (run.killed)
    return `timed out after ${limit}; KeyboardInterrupt was raised but it was still running after the grace period (it swallowed the interrupt, or its finally blocks ran too long), so its interpreter was killed`;
  if (run.timedOut) return `timed out after ${limit}; KeyboardInterrupt stopped it (raise the limit with timeout=… in the fence meta)`;
  if (run.fault) return `the interpreter failed: ${run.fault}`;
  if (run.truncatedBytes) return `printed too much output: ${run.truncatedBytes} bytes past the limit were dropped`;
  return null;
}

/**
 * The runner of `block`: the native one for `runtime=native` (verifyFiles skips such a block when
 * the probe found no usable CPython).
 * @throws Error when the probe found one but the caller gave no native runner (a caller's bug).
 */
function runnerOf(block: ExampleBlock, options: VerifyOptions): BlockRunner {
  if (block.meta.runtime !== 'native') return options.runner;
  if (!options.native?.runner) throw new Error('verifyFiles: options.native has a CPython but no runner for it');
  return options.native.runner;
}

/** A run's transcript; a native run's carries its CPython's `major.minor`. */
function transcriptOf(run: BlockRun): RecordedOutput {
  const output = transcriptFromChunks(run.chunks, run.exitStatus);
  return run.python ? { ...output, python: run.python } : output;
}

/** Options of one run as {@link BlockRunner.run} takes them. */
type RunRequest = {
  timeoutMs?: number;
  shiftHeap?: boolean;
  alternateSeed?: boolean;
  fresh?: boolean;
  /** The block's `stdout=` and `env=` meta (runner.ts `RunOptions.stdout`, `RunOptions.env`). */
  stdout?: StdoutMode;
  env?: Readonly<Record<string, string>>;
  /** Record the control flow (runner.ts `RunOptions.trace`): the first run of a block with the `trace` meta. */
  trace?: boolean;
};

/** Where the block's stdout goes and its start-up variables, from its meta, for every run of it. */
function stdioOf(block: ExampleBlock): Pick<RunRequest, 'stdout' | 'env'> {
  return { stdout: block.meta.stdout, env: block.meta.env };
}

/** A block's first run (or its cached output), before the second run judges it. */
interface FirstRun {
  block: ExampleBlock;
  actual: RecordedOutput;
  durationMs?: number;
  cached: boolean;
  /** The cache key to store the output under once the block is judged deterministic. */
  key?: string;
  /** Set when the block's result is already final (a failed run, a cached output, `nondeterministic`). */
  result?: BlockResult;
}

/** Judge an output that is final: compare it with the recorded output. */
function compareWithRecorded(block: ExampleBlock, actual: RecordedOutput, extra: Partial<BlockResult>): BlockResult {
  const compare = { ellipsis: block.meta.ellipsis };
  const literal = literalEllipsis(actual, compare);
  if (literal) return { block, status: 'failed', actual, reason: literal, ...extra };
  const recorded = block.output?.recorded;
  if (!recorded) return { block, status: 'missing', actual, ...extra };
  const label = `${block.file}:${block.line}`;
  // The trace fence is checked like the output: its drift fails with a diff of the steps.
  const traceDiff =
    block.meta.trace && block.trace && !sameSteps(block.trace.steps, actual.trace ?? [])
      ? diffSteps(label, block.trace.steps, actual.trace ?? [])
      : '';
  const traceMissing = block.meta.trace && !block.trace;
  if (outputsMatch(recorded, actual, compare)) {
    if (traceMissing) return { block, status: 'missing', actual, ...extra, traceOnly: true };
    if (traceDiff) return { block, status: 'drifted', actual, ...extra, diff: traceDiff, traceOnly: true };
    return { block, status: 'passed', actual, ...extra };
  }
  const diff = [diffOutputs(label, recorded, actual, compare), traceDiff].filter(Boolean).join('\n');
  return { block, status: 'drifted', actual, ...extra, diff };
}

/** Phase 1: the block's cached output, or its first run (hash seed 0, as in the browser). */
async function firstRun(block: ExampleBlock, options: VerifyOptions): Promise<FirstRun> {
  const key = options.cache?.key(block);
  let cachedOutput = key ? options.cache!.store.get(key) : undefined;
  // An entry without the trace (written before the block had the meta) is run again.
  if (block.meta.trace && !cachedOutput?.trace) cachedOutput = undefined;
  if (cachedOutput)
    return { block, actual: cachedOutput, cached: true, result: compareWithRecorded(block, cachedOutput, { cached: true }) };
  const timeoutMs = block.meta.timeoutMs ?? options.timeoutMs;
  const run = await runnerOf(block, options).run(block.code + '\n', {
    timeoutMs,
    ...stdioOf(block),
    ...(block.meta.trace ? { trace: true } : {}),
  });
  const actual = transcriptOf(run);
  if (block.meta.trace) actual.trace = run.trace ? traceSteps(run.trace) : [];
  const first: FirstRun = { block, actual, durationMs: run.durationMs, cached: false, key };
  const failure =
    runFailure(run, timeoutMs) ??
    (run.trace?.truncated
      ? `its trace stopped (${run.trace.truncated}): a trace fence records short examples only; remove the trace meta`
      : block.meta.trace && !run.trace
        ? 'no trace was recorded (the interpreter ended before it could be read: os._exit?); remove the trace meta'
        : null);
  if (failure) first.result = { block, status: 'failed', actual, reason: failure, durationMs: run.durationMs };
  else if (block.meta.nondeterministic) first.result = settle(first, options);
  return first;
}

/** Cache a deterministic output and compare it with the recorded one. */
function settle(first: FirstRun, options: VerifyOptions): BlockResult {
  const result = compareWithRecorded(first.block, first.actual, { durationMs: first.durationMs, cached: false });
  if (first.key && !(result.status === 'failed')) options.cache!.store.set(first.key, first.actual);
  return result;
}

/**
 * Phase 2: run the block again and require the same output. The second run differs from the
 * first in the ways two runs of CPython differ (another hash seed, shifted object addresses), and
 * the second runs go in the reverse order of the first runs: an interpreter then has run only
 * blocks after this one in phase 2, and only blocks before it in phase 1, so state that one block
 * leaks into a later one (anything the reset missed) shows up as a difference instead of being
 * recorded. When the outputs differ, two more runs in fresh interpreters tell a leak (fresh runs
 * agree with each other but not with the first run) from output that varies by itself.
 */
async function secondRun(first: FirstRun, options: VerifyOptions): Promise<BlockResult> {
  const { block } = first;
  const label = `${block.file}:${block.line}`;
  const timeoutMs = block.meta.timeoutMs ?? options.timeoutMs;
  const code = block.code + '\n';
  const run = (request: RunRequest) => runnerOf(block, options).run(code, { timeoutMs, ...stdioOf(block), ...request });
  const second = await run({ shiftHeap: true, alternateSeed: true });
  const again = transcriptOf(second);
  const durationMs = first.durationMs;
  const failure = runFailure(second, timeoutMs);
  if (failure) return { block, status: 'failed', actual: again, reason: failure, durationMs };
  const compare = { ellipsis: block.meta.ellipsis };
  const recorded = block.output?.recorded;
  const bothMatch = compare.ellipsis && recorded && outputsMatch(recorded, first.actual, compare) && outputsMatch(recorded, again, compare);
  if (outputsMatch(first.actual, again, { ellipsis: false }) || bothMatch) return settle(first, options);
  // Every native run is fresh: no state leaks between them, so their difference is nondeterminism.
  if (block.meta.runtime === 'native') return nondeterministic(first, again, durationMs);
  // Each run again, in a fresh interpreter under the same conditions: a run that disagrees with
  // its fresh twin while the other agrees with its own was changed by state left behind.
  const [freshFirst, freshSecond] = (
    await Promise.all([run({ fresh: true }), run({ fresh: true, shiftHeap: true, alternateSeed: true })])
  ).map(transcriptOf) as [RecordedOutput, RecordedOutput];
  const plain = { ellipsis: false };
  // A leak is claimed only when one run is the odd one out: the other run and both fresh runs
  // agree. Output that varies by itself (ids, set order, time) makes the fresh runs disagree.
  const same = (x: RecordedOutput, y: RecordedOutput) => outputsMatch(x, y, plain);
  const cleanAgree = same(freshFirst, freshSecond);
  const firstLeaked = cleanAgree && same(freshFirst, again) && !same(freshFirst, first.actual);
  const secondLeaked = cleanAgree && same(freshFirst, first.actual) && !same(freshFirst, again);
  if (firstLeaked || secondLeaked) {
    const [leaked, fresh] = firstLeaked ? [first.actual, freshFirst] : [again, freshSecond];
    return {
      block,
      status: 'failed',
      actual: first.actual,
      durationMs,
      reason:
        `state leaked into this block from a block that ran ${firstLeaked ? 'before' : 'after'} it in the same interpreter: ` +
        'its output there differs from its output in a fresh interpreter. The verifier failed to reset something: ' +
        `run with --jobs 1${firstLeaked ? '' : ' --reverse'} to find the block that leaks, and report it`,
      diff: diffOutputs(`${label} (after other blocks vs in a fresh interpreter)`, leaked, fresh, plain),
    };
  }
  return nondeterministic(first, again, durationMs);
}

/** The result of a block whose two runs differ by themselves. */
function nondeterministic(first: FirstRun, again: RecordedOutput, durationMs: number | undefined): BlockResult {
  const { block } = first;
  return {
    block,
    status: 'failed',
    actual: first.actual,
    durationMs,
    reason:
      'output differs between two runs (nondeterministic): make it deterministic, or mark the fence `nondeterministic` and write [...] where it varies',
    diff: diffOutputs(`${block.file}:${block.line} (first run vs second run)`, first.actual, again, { ellipsis: false }),
  };
}

/**
 * Verify (and with `update`, re-record) the examples of `files`.
 *
 * Every block's first run is started in source order (or reversed), then every second run in the
 * opposite order (see {@link secondRun}); runs go concurrently as far as the runner allows (a pool
 * runs one per worker); results are reported in source order.
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
  const report = (result: BlockResult) => {
    results.set(result.block, result);
    options.onResult?.(result, ++done, jobs.length);
  };
  // Native blocks this machine cannot verify (no CPython, another minor version) are skipped, never passed.
  const runnable = jobs.filter((block) => {
    const reason = nativeSkipReason(block, options.native?.probe);
    if (reason) report({ block, status: 'skipped', reason });
    return !reason;
  });
  const firsts = await Promise.all(
    runnable.map(async (block) => {
      const first = await firstRun(block, options);
      if (first.result) report(first.result);
      return first;
    }),
  );
  await Promise.all(
    firsts
      .filter((first) => !first.result)
      .reverse()
      .map(async (first) => report(await secondRun(first, options))),
  );
  const reports: FileReport[] = [];
  for (const { file, source, blocks, problems } of loaded) {
    const fileResults = blocks.map((block) => results.get(block) ?? { block, status: 'skipped' as const });
    let written = false;
    if (options.update && problems.length === 0) {
      const stale = fileResults.filter((r) => r.status === 'drifted' || r.status === 'missing');
      if (stale.length) {
        // Re-reads the file first: a save made while the blocks ran is kept, or nothing is written (update.ts).
        const outcome = await writeUpdates(
          file,
          source,
          stale.map(
            (r): OutputEdit => ({
              block: r.block,
              output: r.actual!,
              ...(r.block.meta.trace && r.actual?.trace ? { trace: r.actual.trace, keepOutput: r.traceOnly === true } : {}),
            }),
          ),
        );
        written = outcome.written;
        problems.push(...outcome.problems);
        if (outcome.problems.length === 0) for (const r of stale) r.status = 'updated';
      }
    }
    reports.push({ file, results: fileResults, problems, written });
  }
  return reports;
}

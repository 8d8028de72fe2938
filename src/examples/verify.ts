/**
 * Verification: the pipeline's entry point. For each content file: extract → run → compare, and
 * with `update`, splice re-recorded outputs back. Check and update are one code path with a mode.
 */
import { readFile } from 'node:fs/promises';
import { diffOutputs, outputsMatch } from './compare.ts';
import { extractExamples, type ContentProblem, type ExampleBlock } from './extract.ts';
import { transcriptFromChunks, type RecordedOutput } from './output.ts';
import type { RunResult } from './runner.ts';
import { applyOutputEdits, writeFileAtomic, type OutputEdit } from './update.ts';

/** What happened to one block. `updated`: drifted or missing, and re-recorded by `--update`. */
export type BlockStatus = 'passed' | 'drifted' | 'missing' | 'skipped' | 'updated';

/** One block's outcome. */
export interface BlockResult {
  block: ExampleBlock;
  status: BlockStatus;
  /** What the run printed (absent for skipped blocks). */
  actual?: RecordedOutput;
  /** Unified diff recorded → actual, for `drifted` and `updated`. */
  diff?: string;
  /** Run time in ms (absent for skipped blocks). */
  durationMs?: number;
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

/** Anything that runs a block: {@link ExampleRunner} in practice. */
export interface BlockRunner {
  run(code: string): Promise<RunResult>;
}

/** Options of {@link verifyFiles}. */
export interface VerifyOptions {
  runner: BlockRunner;
  /** Re-record drifted and missing outputs into the files. */
  update?: boolean;
  /** Run blocks in reverse order (to show that order does not matter). */
  reverse?: boolean;
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

/**
 * Verify (and with `update`, re-record) the examples of `files`.
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
  for (const block of jobs) {
    const run = await options.runner.run(block.code + '\n');
    const actual = transcriptFromChunks(run.chunks, run.exitStatus);
    const recorded = block.output?.recorded;
    let result: BlockResult;
    if (!recorded) result = { block, status: 'missing', actual, durationMs: run.durationMs };
    else if (outputsMatch(recorded, actual)) result = { block, status: 'passed', actual, durationMs: run.durationMs };
    else result = { block, status: 'drifted', actual, durationMs: run.durationMs, diff: diffOutputs(`${block.file}:${block.line}`, recorded, actual) };
    results.set(block, result);
    options.onResult?.(result, ++done, jobs.length);
  }
  const reports: FileReport[] = [];
  for (const { file, source, blocks, problems } of loaded) {
    const fileResults = blocks.map((block) => results.get(block) ?? { block, status: 'skipped' as const });
    let written = false;
    if (options.update && problems.length === 0) {
      const edits: OutputEdit[] = fileResults
        .filter((r) => r.status === 'drifted' || r.status === 'missing')
        .map((r) => ({ block: r.block, output: r.actual! }));
      if (edits.length) {
        await writeFileAtomic(file, applyOutputEdits(source, edits));
        written = true;
        for (const r of fileResults) if (r.status === 'drifted' || r.status === 'missing') r.status = 'updated';
      }
    }
    reports.push({ file, results: fileResults, problems, written });
  }
  return reports;
}

/**
 * Update: splice re-recorded output fences into a content file. Only the bytes of the output
 * fences being rewritten change (or, for a missing fence, only the inserted text); everything
 * else, including a byte order mark, line endings, indentation and JSX around the block, is kept
 * byte for byte. Writing is safe against the contributor's editor saving the file meanwhile, keeps
 * the file's mode and symlinks, and leaves no temporary file behind on Ctrl-C (see README,
 * "Safety of --update").
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, openSync, rmSync } from 'node:fs';
import { access, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';
import type { ContentProblem, ExampleBlock } from './extract.ts';
import { continuationPrefix, extractExamples, OUTPUT_LANG } from './extract.ts';
import { formatOutputMeta, type RecordedOutput } from './output.ts';
import { formatTraceSteps, TRACE_LANG } from './trace-fence.ts';

/** A new recorded output for one block. */
export interface OutputEdit {
  block: ExampleBlock;
  output: RecordedOutput;
  /**
   * For a block with the `trace` meta: the steps its `trace` fence records (trace-fence.ts),
   * written after the output fence (replacing the trace fence there, or inserted after it).
   */
  trace?: string[];
  /** Leave the output fence's bytes as they are (only the trace drifted). */
  keepOutput?: boolean;
}

/**
 * Render a trace fence (trace-fence.ts `formatTraceSteps`), as {@link renderOutputFence} renders an output fence.
 * @returns the fence text, from the opening fence to the end of the closing fence (no final eol).
 */
export function renderTraceFence(steps: readonly string[], prefix: string, eol: string, fenceChar = '`'): string {
  const fence = fenceChar.repeat(3);
  const body = formatTraceSteps(steps)
    .split('\n')
    .filter((line) => line !== '');
  return [`${fence}${TRACE_LANG}`, ...body.map((line) => prefix + line), prefix + fence].join(eol);
}

/** Longest run of `char` in `text` (0 when absent). */
export function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * Render an output fence.
 * @param output the transcript to record.
 * @param prefix what precedes the fence on its line (indentation, `> `); written before every line but the first.
 * @param eol the file's line ending (`\n` or `\r\n`).
 * @param fenceChar the fence character to use: an existing fence's, else a backtick.
 * @returns the fence text, from the opening fence to the end of the closing fence (no final eol).
 */
export function renderOutputFence(output: RecordedOutput, prefix: string, eol: string, fenceChar = '`'): string {
  // A fence must be longer than any run of its character inside, or that run would close it.
  const fence = fenceChar.repeat(Math.max(3, longestRun(output.text, fenceChar) + 1));
  const meta = formatOutputMeta(output);
  const opening = `${fence}${OUTPUT_LANG}${meta ? ' ' + meta : ''}`;
  const body = output.text === '' ? [] : output.text.split('\n').map((line) => (line === '' ? prefix.trimEnd() : prefix + line));
  return [opening, ...body, prefix + fence].join(eol);
}

/**
 * Apply edits to `source`, bottom-up so that earlier offsets stay valid.
 * @returns the new text; equal to `source` when every edit records what is already there.
 * @throws Error when two edits target the same block (a caller bug: one block, one output).
 */
export function applyOutputEdits(source: string, edits: readonly OutputEdit[]): string {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const seen = new Set<number>();
  for (const { block } of edits) {
    if (seen.has(block.line)) throw new Error(`${block.file}:${block.line}: two output edits for one example`);
    seen.add(block.line);
  }
  const ordered = [...edits].sort((a, b) => b.block.codeEnd - a.block.codeEnd);
  let text = source;
  for (const { block, output, trace, keepOutput } of ordered) {
    if (trace) {
      // The trace fence first: it comes after the output fence, so the output's offsets stay valid.
      if (block.trace) {
        const { start, end } = block.trace;
        text =
          text.slice(0, start) +
          renderTraceFence(trace, continuationPrefix(source, start), eol, source[start] === '~' ? '~' : '`') +
          text.slice(end);
      } else {
        const at = block.output ? block.output.end : block.codeEnd;
        const inserted = eol + block.linePrefix.trimEnd() + eol + block.linePrefix + renderTraceFence(trace, block.linePrefix, eol);
        text = text.slice(0, at) + inserted + text.slice(at);
      }
    }
    if (keepOutput && block.output) continue;
    if (block.output) {
      const { start, end } = block.output;
      const prefix = continuationPrefix(source, start);
      const fenceChar = source[start] === '~' ? '~' : '`';
      text = text.slice(0, start) + renderOutputFence(output, prefix, eol, fenceChar) + text.slice(end);
    } else {
      const at = block.codeEnd;
      const inserted = eol + block.linePrefix.trimEnd() + eol + block.linePrefix + renderOutputFence(output, block.linePrefix, eol);
      text = text.slice(0, at) + inserted + text.slice(at);
    }
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Atomic writes and their temporary files
// ---------------------------------------------------------------------------------------------

/** Temporary files of writes in flight (absolute or cwd-relative paths), for {@link removeTemporaryFilesSync}. */
const temporaryFiles = new Set<string>();

/** The temporary files that exist now because a {@link writeFileAtomic} is in flight. */
export function temporaryFilesInFlight(): string[] {
  return [...temporaryFiles];
}

/**
 * Remove every temporary file of the writes in flight, synchronously (for a signal handler, which
 * must not wait). The files being rewritten keep their old content: a write whose temporary file is
 * gone fails instead of renaming.
 * @returns the paths that were registered (removed, or already gone).
 */
export function removeTemporaryFilesSync(): string[] {
  const removed = [...temporaryFiles];
  for (const path of removed) rmSync(path, { force: true });
  temporaryFiles.clear();
  return removed;
}

/**
 * On SIGINT (Ctrl-C) or SIGTERM, remove the temporary files of writes in flight and exit with
 * 128 + the signal's number (130, 143), as a shell reports a process a signal stopped. A file
 * being rewritten then holds its old content or its new one, whole. For CLIs only: it ends the process.
 * @param onSignal called once the temporary files are gone, with the signal's name (e.g. to print one line).
 */
export function exitOnSignalsWithoutTemporaryFiles(onSignal?: (signal: 'SIGINT' | 'SIGTERM') => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeTemporaryFilesSync();
      onSignal?.(signal);
      process.exit(128 + osConstants.signals[signal]);
    });
  }
}

/** Thrown by {@link writeFileAtomic} when the target no longer holds the bytes it was told to expect. */
export class FileChangedError extends Error {
  constructor(path: string) {
    super(`${path} changed while it was being rewritten`);
    this.name = 'FileChangedError';
  }
}

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Replace the file only if it still holds exactly these bytes (checked just before the rename). */
  unchangedSince?: Uint8Array;
}

/** The error code of a file-system error (`EACCES`…), or undefined for any other error. */
function fsCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * Write `text` to `path` atomically: a temporary file in the target's folder, then rename(2), so a
 * crash mid-write leaves either the old file or the new one, never a truncated one.
 *
 * - A symlink is written through: its target is replaced and the link stays a link.
 * - An existing file keeps its permission bits (e.g. 0640) and, where the process may, its owner.
 * - The temporary file (`<name>.<12 hex>.tmp`) is registered while it exists, so a signal handler
 *   can remove it ({@link removeTemporaryFilesSync}). It is created synchronously right after it is
 *   registered and is later only opened without `O_CREAT`, so no step can re-create it once the
 *   handler has removed it.
 *
 * @param path the file to write (created when missing).
 * @param text the content; a string is written as UTF-8.
 * @throws FileChangedError when `unchangedSince` is given and the file holds other bytes (nothing is written);
 *   otherwise the file system's error. The temporary file is removed on failure.
 */
export async function writeFileAtomic(path: string, text: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const target = await realpath(path).catch((error: unknown) => {
    if (fsCode(error) === 'ENOENT') return path; // a new file
    throw error;
  });
  const existing = await stat(target).catch((error: unknown) => {
    if (fsCode(error) === 'ENOENT') return null;
    throw error;
  });
  const temporary = join(dirname(target), `${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  temporaryFiles.add(temporary);
  try {
    const fd = openSync(temporary, 'wx', existing ? 0o600 : 0o666);
    try {
      if (existing) {
        // chown first: it clears set-id bits, which the chmod then restores.
        if (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.()) {
          try {
            fchownSync(fd, existing.uid, existing.gid);
          } catch {
            // Only root may give a file away; the new file then belongs to whoever runs the update.
          }
        }
        fchmodSync(fd, existing.mode & 0o7777);
      }
    } finally {
      closeSync(fd);
    }
    await writeFile(temporary, text, { flag: 'r+' });
    if (options.unchangedSince) {
      const now = await readFile(target).catch(() => null);
      if (!now || !Buffer.from(options.unchangedSince).equals(now)) throw new FileChangedError(path);
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    temporaryFiles.delete(temporary);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing the updates of one content file
// ---------------------------------------------------------------------------------------------

/** What {@link writeUpdates} did. */
export interface WriteOutcome {
  /** True when the file was rewritten. */
  written: boolean;
  /** Why nothing was written (empty when the edits are in the file now). */
  problems: ContentProblem[];
}

/** Decodes a content file's bytes, keeping a byte order mark and refusing bytes that are not UTF-8. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Same transcript: text, stderr lines and exit status. */
function sameOutput(a: RecordedOutput | null, b: RecordedOutput | null): boolean {
  if (a === null || b === null) return a === b;
  return a.text === b.text && a.exitStatus === b.exitStatus && a.stderrLines.join() === b.stderrLines.join();
}

/** `error: …` text for a file-system error: `permission denied (EACCES)`. */
export function describeFsError(error: unknown): string {
  const { code, errno } = error as { code?: string; errno?: number };
  if (typeof errno === 'number' && code) return `${getSystemErrorMessage(errno)} (${code})`;
  return (error as Error).message;
}

const CHANGED = 'the file changed while its examples ran';
const RUN_AGAIN = 'nothing was written: run the update again';

/**
 * Find the blocks of `edits` (taken from `before`) again in `current`, the file as it is now. A
 * block is found by its code and meta (the n-th block with that code and meta stays the n-th, and
 * there must be as many of them), and its output fence must still record what it recorded in
 * `before` (or already what the edit writes).
 * @returns the edits on `current`'s blocks, or the line and reason of the first block that changed.
 */
function relocateEdits(
  file: string,
  before: string,
  current: string,
  edits: readonly OutputEdit[],
): { edits: OutputEdit[] } | { line: number; message: string } {
  const now = extractExamples(file, current);
  if (now.problems.length) {
    const [first] = now.problems;
    return { line: first!.line, message: `${CHANGED}, and it has a content error now (${first!.message}); ${RUN_AGAIN}` };
  }
  const then = extractExamples(file, before).blocks;
  const key = (b: ExampleBlock) => JSON.stringify([b.code, b.rawMeta]);
  const relocated: OutputEdit[] = [];
  for (const edit of edits) {
    const k = key(edit.block);
    const was = then.filter((b) => key(b) === k);
    const is = now.blocks.filter((b) => key(b) === k);
    const index = was.findIndex((b) => b.line === edit.block.line);
    const block = was.length === is.length ? is[index] : undefined;
    const changed = `${CHANGED}, and so did this example (its code, meta or output fence); ${RUN_AGAIN}`;
    if (!block) return { line: edit.block.line, message: changed };
    const recorded = block.output?.recorded ?? null;
    // The output fence may have changed only to what this edit writes (another update meanwhile).
    if (!sameOutput(recorded, edit.block.output?.recorded ?? null) && !sameOutput(recorded, edit.output)) {
      return { line: edit.block.line, message: changed };
    }
    relocated.push({ ...edit, block });
  }
  return { edits: relocated };
}

/**
 * Write re-recorded outputs into a content file without losing what happened to it meanwhile.
 *
 * The file is read again first. If its bytes are still `sourceReadAtStart`, the edits are spliced
 * into it. If the contributor saved it while its examples ran, the edits are spliced into the new
 * text instead, provided every edited block is still there with the same code, meta and output
 * fence; otherwise nothing is written. The write itself is {@link writeFileAtomic}, replacing the
 * file only if it still holds the bytes just read (tried 3 times). A read-only file is left alone
 * (`access(2)` decides, so root may write it as any other program it runs would).
 *
 * @param file the content file's path (a symlink is written through).
 * @param sourceReadAtStart the text the edits' offsets refer to (as `readFile(file, 'utf8')` gave it).
 * @param edits the outputs to record; their blocks come from `extractExamples(file, sourceReadAtStart)`.
 * @returns whether the file was written, and otherwise one problem at `file:line` saying why and
 *   what to do: the file changed incompatibly, is not UTF-8, or cannot be written
 *   (`cannot write the re-recorded outputs: permission denied (EACCES)`).
 * @throws only errors that are not the file system's (a caller bug).
 */
export async function writeUpdates(file: string, sourceReadAtStart: string, edits: readonly OutputEdit[]): Promise<WriteOutcome> {
  if (edits.length === 0) return { written: false, problems: [] };
  const firstLine = Math.min(...edits.map((e) => e.block.line));
  const refuse = (message: string, line = firstLine): WriteOutcome => ({ written: false, problems: [{ file, line, message }] });
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if (!fsCode(error)) throw error;
    return refuse(`${CHANGED} and cannot be read now: ${describeFsError(error)}; ${RUN_AGAIN}`);
  }
  try {
    await access(file, constants.W_OK);
    for (let attempt = 0; attempt < 3; attempt++) {
      let current: string;
      try {
        current = utf8.decode(bytes);
      } catch {
        return refuse(
          `the file is not valid UTF-8, so rewriting it would change bytes outside the output fences; nothing was written: save it as UTF-8`,
        );
      }
      const plan = current === sourceReadAtStart ? { edits: [...edits] } : relocateEdits(file, sourceReadAtStart, current, edits);
      if ('message' in plan) return refuse(plan.message, plan.line);
      const text = applyOutputEdits(current, plan.edits);
      if (text === current) return { written: false, problems: [] };
      try {
        await writeFileAtomic(file, text, { unchangedSince: bytes });
        return { written: true, problems: [] };
      } catch (error) {
        if (!(error instanceof FileChangedError)) throw error;
        bytes = await readFile(file);
      }
    }
    return refuse(`the file kept changing while its examples' outputs were written; ${RUN_AGAIN}`);
  } catch (error) {
    if (!fsCode(error)) throw error;
    return refuse(
      `cannot write the re-recorded outputs: ${describeFsError(error)}; nothing was written: make the file and its folder writable, then run the update again`,
    );
  }
}

/**
 * Update: splice re-recorded output fences into a content file. Only the bytes of the output
 * fences being rewritten change (or, for a missing fence, only the inserted text); everything
 * else, including line endings, indentation and JSX around the block, is kept byte for byte.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { ExampleBlock } from './extract.ts';
import { continuationPrefix, OUTPUT_LANG } from './extract.ts';
import { formatOutputMeta, type RecordedOutput } from './output.ts';

/** A new recorded output for one block. */
export interface OutputEdit {
  block: ExampleBlock;
  output: RecordedOutput;
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
  for (const { block, output } of ordered) {
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

/**
 * Write `text` to `path` atomically: a temporary file in the same folder, then rename(2), so a
 * crash mid-write leaves either the old file or the new one, never a truncated one.
 * @throws the file system's error; the temporary file is removed on failure.
 */
export async function writeFileAtomic(path: string, text: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * The recorded-output model: what a terminal shows after `python3 example.py`, as stored in an
 * ```` ```output ```` fence, and its conversion from the runner's stream chunks.
 *
 * The fence body is the terminal text (stdout and stderr interleaved in write order). Its meta
 * carries what the text alone cannot: which lines came from stderr and the exit status, e.g.
 * ```` ```output stderr="3-5" exit=1 ````. Both keys are written by `verify --update`; an absent
 * key means "none" / 0.
 */
import { MetaError, parseFenceMeta } from './meta.ts';

/** Which stream a piece of output was written to (fd 1 or fd 2). */
export type Stream = 'stdout' | 'stderr';

/**
 * How a run result's `discarded` reason (runner.ts `RunResult.discarded`) begins when the
 * interpreter itself exited: `os._exit(n)`, or a signal whose default action ends the process
 * (`signal.raise_signal(signal.SIGTERM)`). The runner, the verifier and the Run button's notes
 * recognise an exit by it.
 */
export const EXITED = 'the interpreter exited';

/** One write, decoded as UTF-8 (invalid bytes become U+FFFD). */
export interface OutputChunk {
  stream: Stream;
  text: string;
}

/** A terminal transcript: the text, the 1-based numbers of its stderr lines, the exit status (0-255). */
export interface RecordedOutput {
  /** Terminal text without its final newline (a fence cannot show one). */
  text: string;
  /** Sorted 1-based line numbers of `text` written (wholly or partly) to stderr. */
  stderrLines: number[];
  /** The status the shell reports as `$?`: 0-255. */
  exitStatus: number;
  /**
   * `major.minor` of the native CPython that printed it (`python=3.11` in the fence meta), for a
   * `runtime=native` block (native.ts); absent for Pyodide's.
   */
  python?: string;
  /**
   * The line sequence of a block with the `trace` meta (trace-fence.ts `traceSteps`), which its
   * `trace` fence records; absent for other blocks and in a parsed output fence.
   */
  trace?: string[];
}

/**
 * Control characters other than newline and tab, as a fence records them: their Unicode
 * Control Pictures (U+2400 block), e.g. carriage return → `␍`, escape → `␛`. A raw carriage
 * return would read back as a line break, and the others are invisible in a page.
 */
export function showControlCharacters(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => String.fromCharCode(c === '\x7f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
}

/**
 * Merge runner chunks into a transcript.
 *
 * A line holding any stderr character counts as a stderr line. One final newline is dropped,
 * because a code fence cannot record it; control characters are shown as Control Pictures
 * ({@link showControlCharacters}); every other character is kept.
 */
export function transcriptFromChunks(chunks: readonly OutputChunk[], exitStatus: number): RecordedOutput {
  let text = '';
  const stderr = new Set<number>();
  let line = 1;
  for (const chunk of chunks) {
    for (const ch of showControlCharacters(chunk.text)) {
      if (ch === '\n') {
        if (chunk.stream === 'stderr') stderr.add(line);
        line++;
      } else if (chunk.stream === 'stderr') {
        stderr.add(line);
      }
      text += ch;
    }
  }
  if (text.endsWith('\n')) {
    text = text.slice(0, -1);
    stderr.delete(line);
  }
  const lineCount = text === '' ? 0 : text.split('\n').length;
  const stderrLines = [...stderr].filter((n) => n <= lineCount).sort((a, b) => a - b);
  return { text, stderrLines, exitStatus };
}

/**
 * Parse `"1-3,5"` into `[1, 2, 3, 5]`.
 * @throws MetaError when a part is not `N` or `N-M` with 1 ≤ N ≤ M.
 */
export function parseLineRanges(spec: string): number[] {
  const lines = new Set<number>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    const from = match ? Number(match[1]) : NaN;
    const to = match?.[2] ? Number(match[2]) : from;
    if (!match || from < 1 || to < from) {
      throw new MetaError(`bad line range "${part}" in stderr="${spec}": expected N or N-M, e.g. stderr="2-4,7"`, 1);
    }
    for (let n = from; n <= to; n++) lines.add(n);
  }
  return [...lines].sort((a, b) => a - b);
}

/** Format sorted line numbers compactly: `[1, 2, 3, 5]` → `"1-3,5"`. */
export function formatLineRanges(lines: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    parts.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Read an output fence (its meta and body) back into a transcript.
 * @throws MetaError for unknown keys, a non-integer or out-of-range exit, bad line ranges, or a `python` that is not `N.N`.
 */
export function readOutputFence(meta: string | null | undefined, body: string): RecordedOutput {
  const parsed = parseFenceMeta(meta);
  let exitStatus = 0;
  let stderrLines: number[] = [];
  let python: string | undefined;
  for (const [key, value] of parsed) {
    if (key === 'python') {
      if (typeof value !== 'string' || !/^\d+\.\d+$/.test(value))
        throw new MetaError('bad value for "python" in output fence meta: expected python=3.N (the CPython of a runtime=native block)', 1);
      python = value;
    } else if (key === 'exit' && typeof value === 'string' && /^\d+$/.test(value) && Number(value) <= 255) {
      exitStatus = Number(value);
    } else if (key === 'stderr' && typeof value === 'string') {
      stderrLines = parseLineRanges(value);
    } else if (key === 'exit' || key === 'stderr') {
      throw new MetaError(`bad value for "${key}" in output fence meta: expected exit=N (0-255) or stderr="1-3,5"`, 1);
    } else {
      throw new MetaError(
        `unknown output fence meta "${key}": output fences take only stderr="…", exit=N and python=3.N, which --update writes`,
        1,
      );
    }
  }
  return python === undefined ? { text: body, stderrLines, exitStatus } : { text: body, stderrLines, exitStatus, python };
}

/** The meta string `verify --update` writes for a transcript (`""` for plain stdout, status 0, Pyodide), e.g. `stderr="2" exit=143 python=3.11`. */
export function formatOutputMeta(output: RecordedOutput): string {
  const parts: string[] = [];
  if (output.stderrLines.length) parts.push(`stderr="${formatLineRanges(output.stderrLines)}"`);
  if (output.exitStatus !== 0) parts.push(`exit=${output.exitStatus}`);
  if (output.python) parts.push(`python=${output.python}`);
  return parts.join(' ');
}

/**
 * What the live output panel keeps on screen of a run's output, however much it prints: the first
 * lines (the head), the last lines (the tail) and, between them, how much was left out. A run may
 * print 1 MiB (the runner's limit) in 200,000 lines; the panel's DOM then holds at most
 * {@link HEAD_LINES} + {@link TAIL_LINES} lines and {@link HEAD_CHARS} + {@link TAIL_CHARS}
 * characters, so layout and painting stay cheap whatever the run prints.
 *
 * Pure (no DOM): session.ts renders it once per animation frame, tests/unit/bounded-output.test.ts
 * checks it against the full text.
 */
import { type OutputChunk, type RecordedOutput, showControlCharacters, type Stream } from '../examples/output.ts';

/** Lines kept at the start of the output. */
export const HEAD_LINES = 200;
/** Characters kept at the start of the output (a single huge line is cut). */
export const HEAD_CHARS = 20_000;
/** Lines kept at the end of the output. */
export const TAIL_LINES = 100;
/** Characters kept at the end of the output. */
export const TAIL_CHARS = 10_000;

/** Limits of a {@link BoundedOutput}, in lines and UTF-16 characters. */
export interface OutputLimits {
  headLines: number;
  headChars: number;
  tailLines: number;
  tailChars: number;
}

const DEFAULT_LIMITS: OutputLimits = { headLines: HEAD_LINES, headChars: HEAD_CHARS, tailLines: TAIL_LINES, tailChars: TAIL_CHARS };

const count = (text: string, ch: string): number => {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) n++;
  return n;
};

/**
 * The head, the tail and the count of what lies between, fed chunk by chunk.
 *
 * Invariant: head text + hidden text + tail text = everything pushed, in order. The head only grows
 * (until it is full), so it can be rendered by appending; the tail is re-rendered when it changed.
 */
export class BoundedOutput {
  /** Pieces kept from the start: consecutive pieces of one stream are merged (it stops growing once full). */
  readonly head: OutputChunk[] = [];
  /** Pieces kept from the end, as pushed (a window that slides). */
  private tailPieces: OutputChunk[] = [];
  private tailStart = 0;
  private headLines = 0;
  private headChars = 0;
  private headFull = false;
  private tailLines = 0;
  private tailChars = 0;
  /** Newlines left out between head and tail. */
  hiddenLines = 0;
  /** UTF-16 characters left out between head and tail. */
  hiddenChars = 0;
  /** Bumped whenever the tail changes (the renderer redraws it then). */
  tailVersion = 0;
  private readonly limits: OutputLimits;

  /** @param limits lines and characters kept at each end; defaults {@link HEAD_LINES} etc. */
  constructor(limits: Partial<OutputLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The tail's pieces, oldest first. */
  get tail(): OutputChunk[] {
    return this.tailPieces.slice(this.tailStart);
  }

  /** Anything is left out between head and tail. */
  get truncated(): boolean {
    return this.hiddenChars > 0;
  }

  /** Newlines kept in head and tail together (what the panel shows, without the hidden ones). */
  get keptLines(): number {
    return this.headLines + this.tailLines;
  }

  /** Append a chunk of output. */
  push(chunk: OutputChunk): void {
    let text = chunk.text;
    if (!this.headFull) {
      const take = this.headRoom(text);
      if (take > 0) {
        append(this.head, chunk.stream, text.slice(0, take));
        this.headLines += count(text.slice(0, take), '\n');
        this.headChars += take;
      }
      text = text.slice(take);
      if (text === '') return;
      this.headFull = true;
    }
    // Not merged into the previous piece: a long merged string would be copied on every trim.
    this.tailPieces.push({ stream: chunk.stream, text });
    this.tailLines += count(text, '\n');
    this.tailChars += text.length;
    this.tailVersion++;
    this.trim();
  }

  /** How many characters of `text` still fit in the head: whole lines up to the limits, a cut line if the first line alone is too long. */
  private headRoom(text: string): number {
    const { headLines, headChars } = this.limits;
    let end = 0;
    let lines = this.headLines;
    while (end < text.length && lines < headLines) {
      const nl = text.indexOf('\n', end);
      const stop = nl < 0 ? text.length : nl + 1;
      if (this.headChars + stop > headChars) return Math.max(end, headChars - this.headChars);
      end = stop;
      if (nl >= 0) lines++;
    }
    return end;
  }

  /** Drop from the front of the tail until it fits its limits, counting what was dropped as hidden. */
  private trim(): void {
    const { tailLines, tailChars } = this.limits;
    while (this.tailLines > tailLines || this.tailChars > tailChars) {
      const piece = this.tailPieces[this.tailStart]!;
      // Whole lines while there are too many lines, else characters.
      let cut: number;
      if (this.tailLines > tailLines) {
        const nl = piece.text.indexOf('\n');
        cut = nl < 0 ? piece.text.length : nl + 1;
      } else {
        cut = Math.min(piece.text.length, this.tailChars - tailChars);
      }
      const dropped = piece.text.slice(0, cut);
      const lines = count(dropped, '\n');
      this.hiddenLines += lines;
      this.hiddenChars += cut;
      this.tailLines -= lines;
      this.tailChars -= cut;
      if (cut === piece.text.length) this.tailStart++;
      else this.tailPieces[this.tailStart] = { stream: piece.stream, text: piece.text.slice(cut) };
    }
    // Compact now and then, so that the array does not keep every dropped piece.
    if (this.tailStart > 1024 && this.tailStart > this.tailPieces.length / 2) {
      this.tailPieces = this.tailPieces.slice(this.tailStart);
      this.tailStart = 0;
    }
  }
}

function append(pieces: OutputChunk[], stream: Stream, text: string): void {
  const last = pieces[pieces.length - 1];
  if (last?.stream === stream) last.text += text;
  else pieces.push({ stream, text });
}

/**
 * A size in the units people read: bytes below 1 KiB, then KiB, then MiB (binary prefixes, as the
 * runner's 1 MiB output limit).
 * @param bytes a non-negative byte count.
 * @returns e.g. `512 bytes`, `1 byte`, `3.4 KiB`, `1.0 MiB`.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A count with its digits grouped in threes by commas, as `toLocaleString('en')` writes it, without
 * it: the first `toLocaleString` call of a page loads the locale's number formats (≈25 ms of the
 * main thread measured in Chromium 150, more on busy cores), inside the output panel's first redraw.
 * @param n a non-negative integer.
 * @returns e.g. `1,234,567`; `999` unchanged.
 */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/**
 * The note shown between head and tail.
 * @returns e.g. `… 199,500 lines hidden (1.2 MiB of text) …`; characters when no whole line is hidden.
 */
export function hiddenNote(output: Pick<BoundedOutput, 'hiddenLines' | 'hiddenChars'>): string {
  const what =
    output.hiddenLines > 0
      ? `${groupDigits(output.hiddenLines)} ${output.hiddenLines === 1 ? 'line' : 'lines'} hidden`
      : `${groupDigits(output.hiddenChars)} characters hidden`;
  // UTF-16 units ≈ bytes for the ASCII most output is; the size is only a guide.
  return `… ${what} (${formatBytes(output.hiddenChars)} of text); the verdict uses all of it …`;
}

/**
 * The transcript of merged chunks, as `transcriptFromChunks` (src/examples/output.ts) makes it,
 * without its per-character loop: a piece at a time, so that 1 MiB of output costs a few
 * milliseconds, not a long task. tests/unit/bounded-output.test.ts checks both agree.
 * @param chunks the run's output, as written.
 * @param exitStatus the run's exit status.
 * @returns text (final newline dropped, control characters as Control Pictures), 1-based stderr lines, exit status.
 */
export function fastTranscript(chunks: readonly OutputChunk[], exitStatus: number): RecordedOutput {
  const parts: string[] = [];
  const stderr: number[] = [];
  let line = 1;
  for (const chunk of chunks) {
    const text = showControlCharacters(chunk.text);
    if (text === '') continue;
    parts.push(text);
    const newlines = count(text, '\n');
    if (chunk.stream === 'stderr') {
      // Every line this piece touches is a stderr line; the line after its last newline only when it holds text.
      const last = text.endsWith('\n') ? line + newlines - 1 : line + newlines;
      for (let n = line; n <= last; n++) if (stderr[stderr.length - 1] !== n) stderr.push(n);
    }
    line += newlines;
  }
  let text = parts.join('');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lineCount = text === '' ? 0 : count(text, '\n') + 1;
  return { text, stderrLines: stderr.filter((n) => n <= lineCount), exitStatus };
}

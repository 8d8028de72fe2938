/**
 * Running one example and showing its output: the live panel under the recorded output, fed by the
 * runner worker's chunks as they are written, then the exit status, the time and the verdict against
 * the recorded output, computed by the same code the build verifier uses (src/examples/output.ts,
 * src/examples/compare.ts). Loaded with the runtime host on the reader's first sign of intent.
 *
 * Everything the example prints is inserted as text (text nodes, `textContent`), never as HTML.
 *
 * Panel markup (the e2e tests read it):
 *
 * ```html
 * <div class="example-run not-content" role="group" aria-label="Your run of example 3"
 *      data-state="running|done|stopped|killed|cancelled|error" data-exit-status="1" data-edited="false">
 *   (no data-exit-status after a kill or an interpreter failure: there is no exit status)
 *   <div class="example-run-bar"><span class="example-run-title">Your run</span> <span class="example-run-badge">edited code</span></div>
 *   <div class="example-run-loading"><progress …></progress><span>Loading Python…</span></div>
 *   <pre class="example-run-transcript" role="log" aria-label="Output of your run">
 *     <span class="chunk" data-stream="stdout">text</span>
 *     <span class="chunk stderr" data-stream="stderr"><span class="example-stream-label">stderr: </span>text</span>
 *   </pre>
 *   <p class="example-run-empty">(no output)</p>
 *   <p class="example-run-exit">exit status 1 · 0.03 s</p>
 *   <p class="example-run-note">Killed: …</p>
 *   <div class="example-run-verdict" data-verdict="match|differs|edited|stopped|failed">
 *     <p>Matches the recorded output</p> <pre class="example-run-diff">…</pre>
 *   </div>
 * </div>
 * ```
 */
import { composeCheckedRun, newCheckToken, TokenFilter } from '../components/exercise-check.ts';
import { type CompareOptions, outputsMatch } from '../examples/compare.ts';
import { EXITED, parseLineRanges, showControlCharacters, type OutputChunk, type RecordedOutput } from '../examples/output.ts';
import { parseEnvText, type StdoutMode, stdioLabel } from '../examples/stdio-options.ts';
import { boundedDiff } from './bounded-diff.ts';
import { BoundedOutput, fastTranscript, formatBytes, groupDigits, hiddenNote } from './bounded-output.ts';
import { EXAMPLE_FINISHED } from './events.ts';
import { canInterrupt, getHost, STOP_GRACE_MS, type RunHandle, type RunOutcome, type RuntimeState } from './host.ts';

export { canInterrupt };

/** Start loading the runtime (hover or focus on a Run button). */
export function warmUp(): void {
  void getHost()
    .warmUp()
    .catch(() => {});
}

/**
 * The recorded output of an example, read from its figure (markup: src/integrations/remark-examples.ts):
 * each `span.line` minus its `.example-stream-label`, `data-stderr-lines`, `data-exit-status`.
 * @returns null when the example has no recorded output.
 */
export function readRecorded(example: HTMLElement): RecordedOutput | null {
  const figure = example.querySelector<HTMLElement>(':scope > figure.example-output');
  if (!figure) return null;
  const lines = [...figure.querySelectorAll<HTMLElement>('pre.example-transcript > span.line')].map((line) =>
    [...line.childNodes]
      .filter((node) => !(node instanceof HTMLElement && node.classList.contains('example-stream-label')))
      .map((node) => node.textContent)
      .join(''),
  );
  return {
    text: lines.join('\n'),
    stderrLines: parseLineRanges(figure.dataset.stderrLines ?? ''),
    exitStatus: Number(figure.dataset.exitStatus ?? 0),
  };
}

/**
 * Shortest time between two redraws of a panel while output keeps coming, in ms. Each redraw costs
 * the page a style, layout and paint pass (≈5–30 ms on 2 busy cores); a flood of output read at
 * 10 updates a second looks the same as at 60, and leaves the main thread free for Stop. The first
 * output of a run and its end are shown at once.
 */
const REDRAW_INTERVAL_MS = 100;
/**
 * Lines after which the transcript is certainly taller than its cap (`min(30rem, 70vh)` in
 * runner.css, ≈21 lines of code text at most): it then gets a fixed height and layout containment,
 * so that a redraw lays out the panel alone, not the page.
 */
const FULL_LINES = 40;

const seconds = (ms: number) => (ms < 1000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);
/** The runner's output limit (src/examples/runner.ts DEFAULT_MAX_OUTPUT_BYTES), for the dropped-output note. */
const OUTPUT_LIMIT_BYTES = 1 << 20;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

let panelCount = 0;

/** A span of the transcript showing one stream's text, and that text's node. */
interface ChunkNode {
  stream: string;
  span: HTMLElement;
  text: Text;
}

/** The live output panel of one example. */
class Panel {
  readonly root: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly loading: HTMLElement;
  private readonly progress: HTMLProgressElement;
  private readonly loadingText: HTMLElement;
  private readonly transcript: HTMLPreElement;
  private readonly empty: HTMLElement;
  private readonly exit: HTMLElement;
  private readonly note: HTMLElement;
  private readonly verdict: HTMLElement;
  /** The next redraw (setTimeout id; 0: none scheduled). */
  private timer = 0;
  /** The earliest time of the next redraw (performance.now(), ms; 0 before the run's first redraw). */
  private nextRedraw = 0;
  /** Everything the run wrote (≤ 1 MiB: the runner drops the rest), consecutive pieces of a stream merged: for the verdict. */
  chunks: OutputChunk[] = [];
  /** What the transcript shows: head, tail and the count between (bounded-output.ts). */
  private output = new BoundedOutput();
  /** Head pieces already in the DOM, and characters of the last of them. */
  private headShown = 0;
  private headShownChars = 0;
  private headSpan: HTMLElement | null = null;
  private gap: HTMLElement | null = null;
  /** The gap's note: its data is replaced, never the node (a node inserted into the example restyles all of it: runner.css's `:has()`). */
  private gapText: Text | null = null;
  /** The tail's spans, one per run of one stream, each with the text node whose data a redraw replaces. */
  private tailNodes: ChunkNode[] = [];
  private tailShown = -1;
  /** The transcript has its fixed height and containment (see {@link FULL_LINES}). */
  private full = false;
  /** Keep the end of the output in view (false once the reader scrolls up). */
  private follow = true;

  constructor(example: HTMLElement, name: string) {
    const id = `example-run-${++panelCount}`;
    // A named group, not a region: a page of examples would otherwise fill the landmark list.
    this.root = el('div', 'example-run not-content');
    this.root.setAttribute('role', 'group');
    this.root.setAttribute('aria-label', `Your run of ${name}`);
    const bar = el('div', 'example-run-bar');
    const title = el('span', 'example-run-title', 'Your run');
    this.badge = el('span', 'example-run-badge', 'edited code');
    bar.append(title, ' ', this.badge);
    // stdout=pipe / env= blocks: the reader must know this run is not a terminal's (remark-examples.ts data-stdout, data-env).
    const stdio = exampleStdio(example);
    const mode = stdioLabel(stdio.stdout, stdio.env);
    if (mode) bar.append(' ', el('span', 'example-run-mode', `(${mode})`));
    this.loading = el('div', 'example-run-loading');
    this.progress = el('progress', '');
    this.progress.id = `${id}-progress`;
    this.loadingText = el('label', 'example-run-loading-text');
    this.loadingText.setAttribute('for', this.progress.id);
    this.loading.append(this.progress, this.loadingText);
    this.transcript = el('pre', 'example-run-transcript');
    // Whether to follow the end of the output: kept from scroll events, so that no frame has to
    // read the layout before it writes.
    this.transcript.addEventListener(
      'scroll',
      () => {
        const pre = this.transcript;
        this.follow = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
      },
      { passive: true },
    );
    this.transcript.setAttribute('role', 'log');
    this.transcript.setAttribute('aria-label', 'Output of your run');
    this.empty = el('p', 'example-run-empty', '(no output)');
    this.exit = el('p', 'example-run-exit');
    this.note = el('p', 'example-run-note');
    this.verdict = el('div', 'example-run-verdict');
    this.root.append(bar, this.loading, this.transcript, this.empty, this.exit, this.note, this.verdict);
    const anchor =
      example.querySelector(':scope > figure.example-output') ??
      example.querySelector(':scope > .example-controls') ??
      example.lastElementChild;
    anchor?.after(this.root);
  }

  reset(edited: boolean): void {
    this.cancelRedraw();
    this.nextRedraw = 0;
    this.chunks = [];
    this.output = new BoundedOutput();
    this.headShown = 0;
    this.headShownChars = 0;
    this.headSpan = null;
    this.gap = null;
    this.gapText = null;
    this.tailNodes = [];
    this.tailShown = -1;
    this.full = false;
    this.follow = true;
    this.transcript.replaceChildren();
    this.transcript.classList.remove('example-run-transcript-full');
    this.transcript.removeAttribute('tabindex');
    this.transcript.removeAttribute('aria-busy');
    this.badge.hidden = !edited;
    this.root.dataset.edited = String(edited);
    this.root.removeAttribute('data-exit-status');
    for (const node of [this.loading, this.empty, this.exit, this.note, this.verdict]) node.hidden = true;
    this.verdict.replaceChildren();
    this.verdict.removeAttribute('data-verdict');
    this.setState('running');
  }

  setState(state: string): void {
    this.root.dataset.state = state;
  }

  showLoading(state: RuntimeState): void {
    if (state.phase !== 'loading') {
      this.loading.hidden = true;
      return;
    }
    this.loading.hidden = false;
    if (state.stage === 'download') {
      this.progress.max = state.total;
      this.progress.value = Math.min(state.loaded, state.total);
      this.loadingText.textContent = `Loading Python: ${formatBytes(state.loaded)} of ${formatBytes(state.total)}`;
    } else {
      this.progress.removeAttribute('value'); // indeterminate
      this.loadingText.textContent = state.stage === 'start' ? 'Starting Python…' : 'Starting a fresh Python…';
    }
  }

  /**
   * Take a chunk of output: kept whole for the verdict, and shown at once, or
   * {@link REDRAW_INTERVAL_MS} after the last redraw ended (a DOM of bounded size however much is
   * printed: bounded-output.ts).
   *
   * The redraw is a task of its own, not an animation frame callback: its DOM writes and the
   * layout they need happen there, and the frame that follows only paints, so that the growth of
   * the panel, which moves the whole page below it, is two tasks, not one twice as long.
   */
  write(chunk: OutputChunk): void {
    if (chunk.text === '') return;
    const last = this.chunks[this.chunks.length - 1];
    if (last?.stream === chunk.stream) last.text += chunk.text;
    else this.chunks.push({ ...chunk });
    this.output.push(chunk);
    if (this.timer) return;
    this.timer = window.setTimeout(
      () => {
        this.flush();
        // Counted from the end of the redraw (its layout included): the page gets the time between.
        this.nextRedraw = performance.now() + REDRAW_INTERVAL_MS;
      },
      Math.max(0, this.nextRedraw - performance.now()),
    );
  }

  private cancelRedraw(): void {
    clearTimeout(this.timer);
    this.timer = 0;
  }

  private span(stream: string, text: string): ChunkNode {
    const span = el('span', stream === 'stderr' ? 'chunk stderr' : 'chunk');
    span.dataset.stream = stream;
    if (stream === 'stderr') {
      const label = el('span', 'example-stream-label', 'stderr: ');
      label.dataset.pagefindIgnore = '';
      span.append(label);
    }
    const node = document.createTextNode(showControlCharacters(text));
    span.append(node);
    return { stream, span, text: node };
  }

  /**
   * Bring the transcript up to date with the output: append to the head, redraw the note and the
   * tail when they changed (replacing the text of the tail's nodes, not the nodes, so that the
   * redraw restyles nothing), and keep the end in view (unless `scroll` is false: the caller
   * scrolls after its own writes). Layout is read only after every write.
   */
  flush(scroll = true): void {
    this.cancelRedraw();
    const pre = this.transcript;
    const { head } = this.output;
    for (let i = this.headShown; i < head.length; i++) {
      const piece = head[i]!;
      const text = piece.text.slice(i === this.headShown ? this.headShownChars : 0);
      if (text === '') continue;
      if (i === this.headShown && this.headShownChars > 0 && this.headSpan) this.headSpan.append(showControlCharacters(text));
      else {
        this.headSpan = this.span(piece.stream, text).span;
        pre.insertBefore(this.headSpan, this.gap ?? this.tailNodes[0]?.span ?? null);
      }
    }
    if (head.length > 0) {
      this.headShown = head.length - 1;
      this.headShownChars = head[head.length - 1]!.text.length;
    }
    if (!this.full && (this.output.truncated || this.output.keptLines >= FULL_LINES)) {
      this.full = true;
      // Full: a fixed height and layout containment (runner.css), so that a redraw lays out only
      // the panel, not the page; it scrolls, so it takes keyboard focus.
      pre.classList.add('example-run-transcript-full');
      pre.tabIndex = 0;
    }
    if (this.output.truncated) {
      if (!this.gap) {
        this.gap = el('span', 'example-run-gap');
        this.gap.dataset.pagefindIgnore = '';
        this.gapText = document.createTextNode('');
        this.gap.append(this.gapText);
        pre.insertBefore(this.gap, this.tailNodes[0]?.span ?? null);
        // The tail is redrawn from now on: a live region would read it out again and again.
        pre.setAttribute('aria-busy', 'true');
      }
      const note = hiddenNote(this.output);
      if (this.gapText!.data !== note) this.gapText!.data = note;
    }
    if (this.tailShown !== this.output.tailVersion) {
      this.tailShown = this.output.tailVersion;
      this.drawTail();
    }
    if (!scroll) return;
    // One layout, after every write (the panel's alone once it is full), done in this task even
    // when the reader scrolled up (see write()).
    const end = pre.scrollHeight;
    if (this.follow) pre.scrollTop = end;
  }

  /** Show the tail: consecutive pieces of one stream make one span, as in the head; the spans are kept while the streams are the same. */
  private drawTail(): void {
    const runs: { stream: string; text: string }[] = [];
    for (const piece of this.output.tail) {
      const last = runs[runs.length - 1];
      if (last?.stream === piece.stream) last.text += piece.text;
      else runs.push({ stream: piece.stream, text: piece.text });
    }
    if (runs.length === this.tailNodes.length && runs.every((run, i) => run.stream === this.tailNodes[i]!.stream)) {
      for (const [i, run] of runs.entries()) {
        const text = showControlCharacters(run.text);
        const node = this.tailNodes[i]!.text;
        if (node.data !== text) node.data = text;
      }
      return;
    }
    for (const node of this.tailNodes) node.span.remove();
    this.tailNodes = runs.map((run) => this.span(run.stream, run.text));
    this.transcript.append(...this.tailNodes.map((node) => node.span));
  }

  /**
   * Show how the run ended; `compare` says whether `[...]` in `recorded` is a wildcard (the example's `data-ellipsis`).
   * @returns the status line's text.
   */
  finish(
    outcome: RunOutcome,
    recorded: RecordedOutput | null,
    label: string,
    edited: boolean,
    loadMs: number | null,
    compare: CompareOptions,
  ): string {
    const status = this.showEnd(outcome, recorded, label, edited, loadMs, compare);
    // The layout is read once, after every write (one layout of the page, not one per read): the
    // end of the output kept in view, and a scrolling region reachable from the keyboard (axe:
    // scrollable-region-focusable).
    const pres = [this.transcript, this.verdict.querySelector<HTMLElement>('pre.example-run-diff')].filter((pre) => pre !== null);
    const scrolls = pres.map((pre) => pre.scrollHeight > pre.clientHeight);
    if (this.follow) this.transcript.scrollTop = this.transcript.scrollHeight;
    for (const [i, pre] of pres.entries()) if (scrolls[i]) pre.tabIndex = 0;
    return status;
  }

  private showEnd(
    outcome: RunOutcome,
    recorded: RecordedOutput | null,
    label: string,
    edited: boolean,
    loadMs: number | null,
    compare: CompareOptions,
  ): string {
    this.flush(false);
    this.transcript.removeAttribute('aria-busy');
    this.loading.hidden = true;
    this.empty.hidden = this.transcript.childNodes.length > 0 || outcome.kind === 'cancelled';
    const started = loadMs === null ? '' : ` (Python started in ${seconds(loadMs)})`;
    switch (outcome.kind) {
      case 'cancelled':
        this.setState('cancelled');
        this.note.hidden = false;
        this.note.textContent = 'Cancelled before it started.';
        return 'Cancelled.';
      case 'error':
        this.setState('error');
        this.note.hidden = false;
        this.note.textContent = `Python could not run this: ${outcome.message.split('\n')[0]}`;
        return `Error: ${this.note.textContent}`;
      case 'killed': {
        this.setState('killed');
        this.note.hidden = false;
        const why =
          outcome.reason === 'not-isolated'
            ? 'This page is not cross-origin isolated, so Stop cannot raise KeyboardInterrupt: the Python worker was killed at once.'
            : outcome.reason === 'grace'
              ? `It was still running ${seconds(STOP_GRACE_MS)} after KeyboardInterrupt, so the Python worker was killed.`
              : `The Python worker crashed (${outcome.message ?? 'no reason given'}).`;
        this.note.textContent = `Killed after ${seconds(outcome.wallMs)}. ${why} No finally block ran after that point, and there is no exit status. A fresh Python is starting for the next run.`;
        return `Killed: no finally block ran. ${why}`;
      }
      case 'done': {
        const { result } = outcome;
        // A failed interpreter (a fatal Pyodide error) ended no process: there is no exit status
        // to show, as after a kill, and the status the runner holds (0) would be a false claim.
        const status = result.fault ? 'no exit status' : `exit status ${result.exitStatus}`;
        if (result.fault) this.root.removeAttribute('data-exit-status');
        else this.root.dataset.exitStatus = String(result.exitStatus);
        this.exit.hidden = false;
        this.exit.textContent = `${status} · ${seconds(result.execMs)}${started}`;
        const notes: string[] = [];
        if (result.truncatedBytes)
          notes.push(
            `${formatBytes(result.truncatedBytes)} of output past the ${formatBytes(OUTPUT_LIMIT_BYTES)} limit ${result.truncatedBytes === 1 ? 'was' : 'were'} dropped (not shown, not compared).`,
          );
        if (result.fault) notes.push(`The interpreter failed: ${result.fault}. A fresh one is used for the next run.`);
        else if (result.discarded?.startsWith(EXITED))
          notes.push(
            'The interpreter exited at once (os._exit, or a signal that ends the process): no finally, no atexit, no flush. A fresh one is used for the next run.',
          );
        if (outcome.interrupted) notes.push('Stopped with KeyboardInterrupt: finally blocks ran.');
        this.note.hidden = notes.length === 0;
        this.note.textContent = notes.join(' ');
        const actual = fastTranscript(this.chunks, result.exitStatus);
        let verdict: string;
        this.verdict.hidden = false;
        if (outcome.interrupted) {
          this.setState('stopped');
          verdict = 'Stopped by you: not compared with the recorded output.';
          this.setVerdict('stopped', verdict);
        } else if (result.fault) {
          this.setState('done');
          verdict = 'The interpreter failed: not compared with the recorded output.';
          this.setVerdict('failed', verdict);
        } else if (edited) {
          this.setState('done');
          verdict = 'Edited code: there is no recorded output to compare with.';
          this.setVerdict('edited', verdict);
        } else if (!recorded) {
          this.setState('done');
          verdict = 'No recorded output to compare with.';
          this.setVerdict('edited', verdict);
        } else if (outputsMatch(recorded, actual, compare)) {
          this.setState('done');
          verdict = 'Matches the recorded output.';
          this.setVerdict('match', verdict);
        } else {
          this.setState('done');
          verdict = 'Differs from the recorded output:';
          const { diff, omittedLines } = boundedDiff(label, recorded, actual, compare);
          const cut = omittedLines
            ? `The diff leaves out the last ${groupDigits(omittedLines)} ${omittedLines === 1 ? 'line' : 'lines'} of your run's output, far past the end of the recorded output.`
            : '';
          this.setVerdict('differs', verdict, diff, cut);
        }
        const stopped = outcome.interrupted ? 'Stopped: KeyboardInterrupt raised, ' : 'Finished: ';
        return `${stopped}${status}, ${seconds(result.execMs)}. ${verdict.replace(/:$/, '.')}`;
      }
    }
  }

  private setVerdict(kind: string, text: string, diff?: string, cutNote?: string): void {
    this.verdict.dataset.verdict = kind;
    const p = el('p', '');
    const mark = el('span', 'example-run-mark', kind === 'match' ? '✓' : kind === 'differs' ? '✗' : '•');
    mark.setAttribute('aria-hidden', 'true');
    p.append(mark, ' ', text);
    this.verdict.replaceChildren(p);
    if (diff) {
      // Wrapped like the transcripts, so it never scrolls sideways (and needs no tab stop).
      const pre = el('pre', 'example-run-diff');
      for (const [i, line] of diff.split('\n').entries()) {
        if (i) pre.append('\n');
        const kind =
          line.startsWith('+++') || line.startsWith('---')
            ? 'head'
            : line[0] === '+'
              ? 'add'
              : line[0] === '-'
                ? 'del'
                : line[0] === '@'
                  ? 'hunk'
                  : 'same';
        pre.append(el('span', `diff-${kind}`, line));
      }
      // Capped in height by runner.css: finish() makes it focusable when it scrolls.
      this.verdict.append(pre);
    }
    if (cutNote) this.verdict.append(el('p', 'example-run-diff-cut', cutNote));
  }

  remove(): void {
    this.cancelRedraw();
    this.root.remove();
  }
}

/** `detail` of the `example:finished` event (src/client/events.ts), from which exercises grade a run: how the run ended, whether the code was edited, and its output as text. */
export interface ExampleFinishedDetail {
  outcome: RunOutcome;
  edited: boolean;
  /** Everything the run wrote to stdout, then to stderr (UTF-8 text, as written; an exercise's check token removed). */
  stdout: string;
  stderr: string;
  /**
   * For a run of an exercise's starter (inside `.exercise-task` of an Exercise.astro): whether the
   * check printed its per-run token, i.e. ran to its end (src/components/exercise-check.ts); null otherwise.
   */
  checkCompleted: boolean | null;
  /** For an exercise run: the reader had changed the check, and the original one ran instead. */
  checkReplaced: boolean;
}

/** What the element hands to {@link startRun}. */
export interface RunRequest {
  example: HTMLElement;
  /** How the controls name the example, e.g. "example 3" (panel label). */
  name: string;
  code: string;
  edited: boolean;
  /** Status line updates (in text, for the element's live status region). */
  onStatus(text: string): void;
}

const panels = new WeakMap<HTMLElement, Panel>();

/** Remove the live panel of an example (Reset). */
export function clearRun(example: HTMLElement): void {
  panels.get(example)?.remove();
  panels.delete(example);
}

/**
 * How an example runs, as its page says (remark-examples.ts `data-stdout`, `data-env`): stdout to a
 * file or a terminal, and its start-up variables.
 */
export function exampleStdio(example: HTMLElement): { stdout: StdoutMode; env: Record<string, string> } {
  return { stdout: example.dataset.stdout === 'pipe' ? 'pipe' : 'terminal', env: parseEnvText(example.dataset.env) };
}

/**
 * Run an example's (possibly edited) code and show its output.
 * @returns the run's handle (for Stop); `done` resolves with the status text once the panel shows the end.
 */
export function startRun(request: RunRequest): { handle: RunHandle; finished: Promise<string> } {
  const { example, code, edited, onStatus } = request;
  let panel = panels.get(example);
  if (!panel) {
    panel = new Panel(example, request.name);
    panels.set(example, panel);
  }
  const live = panel;
  live.reset(edited);
  const recorded = readRecorded(example);
  // As the build verifier compares: [...] is a wildcard only where the block opted in (remark-examples.ts).
  const compare: CompareOptions = { ellipsis: example.dataset.ellipsis !== undefined };
  const file = example.dataset.exampleFile ?? location.pathname;
  const label = `${file}:${example.dataset.exampleLine ?? '?'}`;
  const host = getHost();
  let loadMs: number | null = null;
  const wasReady = host.state.phase === 'ready';
  const unsubscribe = host.subscribe((state) => {
    live.showLoading(state);
    if (state.phase === 'loading') {
      onStatus(state.stage === 'download' ? 'Loading Python…' : 'Starting Python…');
    } else if (state.phase === 'ready' && !wasReady) {
      loadMs = state.loadMs;
    }
  });
  // An exercise's starter is graded from its check having run to its end: run the reader's part,
  // the original check and a line printing a per-run token (exercise-check.ts).
  const token = example.closest('[data-exercise] .exercise-task') ? newCheckToken() : null;
  const checked = token ? composeCheckedRun(code, example.dataset.code ?? '', token) : null;
  const filter = checked && token ? new TokenFilter(token) : null;
  const handle = host.run(
    checked?.code ?? code,
    {
      onQueued: () => onStatus('Waiting for another example to finish…'),
      onStart: () => {
        live.showLoading({ phase: 'idle' });
        onStatus('Running…');
      },
      onChunk: (chunk) => live.write(filter && chunk.stream === 'stdout' ? { stream: 'stdout', text: filter.push(chunk.text) } : chunk),
    },
    exampleStdio(example),
  );
  const finished = handle.done.then((outcome) => {
    unsubscribe();
    if (filter) live.write({ stream: 'stdout', text: filter.end() });
    const status = live.finish(outcome, recorded, label, edited, loadMs, compare);
    onStatus(status);
    const text = (stream: string) =>
      live.chunks
        .filter((c) => c.stream === stream)
        .map((c) => c.text)
        .join('');
    const detail: ExampleFinishedDetail = {
      outcome,
      edited,
      stdout: text('stdout'),
      stderr: text('stderr'),
      checkCompleted: filter ? filter.found : null,
      checkReplaced: checked?.checkReplaced ?? false,
    };
    example.dispatchEvent(new CustomEvent(EXAMPLE_FINISHED, { bubbles: true, detail }));
    return status;
  });
  return { handle, finished };
}

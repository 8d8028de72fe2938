/**
 * The stepper (issue 14): Step runs an example once with its control flow traced (runner.ts
 * `RunOptions.trace`, events as src/examples/trace-types.ts describes them), then lets the reader
 * walk through the events: the current line is highlighted in the code (the static block, or the
 * editor for edited code), with "Step i of n", the output written before that step (stdout and
 * stderr as in the output panel) and the event in words (src/examples/trace-text.ts).
 * Loaded by examples.ts when the reader presses Step; a normal Run never traces.
 *
 * Keys, while focus is in the stepper: ← and → one step, Home and End the first and last, Esc
 * closes it (focus returns to the Step button). The count, line and event text are one polite
 * live region, so a screen reader announces each step.
 *
 * Everything the run produced (output, exception names, reprs in the event texts) comes from
 * the runner frame, which the example's code controls: it is inserted as text, never as HTML.
 *
 * Markup (the e2e tests read it), inserted after the example's `.example-controls`:
 *
 * ```html
 * <div class="example-stepper not-content" role="group" aria-label="Steps of example 3"
 *      data-step="2" data-steps="12" data-line="4" data-kind="line">   <!-- the event's kind (trace-types.ts) -->
 *   <div class="example-stepper-bar">
 *     <button class="example-button example-stepper-prev" aria-keyshortcuts="ArrowLeft">Prev<span class="sr-only"> step</span></button>
 *     <button class="example-button example-stepper-next" aria-keyshortcuts="ArrowRight">Next<span class="sr-only"> step</span></button>
 *     <button class="example-button example-stepper-close" aria-keyshortcuts="Escape">Close<span class="sr-only"> the steps of example 3</span></button>
 *     <span class="example-stepper-keys">← → step · Home End · Esc closes</span>
 *   </div>
 *   <div class="example-stepper-now" aria-live="polite" aria-atomic="true">
 *     <p><span class="example-stepper-count">Step 2 of 12</span><span class="example-stepper-line"> · line 4</span></p>
 *     <p class="example-stepper-event">leaving the try block by return: finally runs first</p>
 *   </div>
 *   <p class="example-stepper-note">Tracing stopped: …</p>        <!-- a cut trace, or a stopped run -->
 *   <p class="example-stepper-caption">Output before this step</p>
 *   <pre class="example-stepper-output">
 *     <span class="chunk" data-stream="stdout">text</span>
 *     <span class="chunk stderr" data-stream="stderr"><span class="example-stream-label">stderr: </span>text</span>
 *   </pre>
 *   <p class="example-stepper-empty">(no output yet)</p>
 * </div>
 * ```
 *
 * The highlighted line: `.ec-line.example-step-line` (aria-current="step") in the static code, or
 * `.cm-line.example-editor-step-line` in the editor (editor.ts `markStep`).
 */
import { type OutputChunk, showControlCharacters } from '../examples/output.ts';
import { describeEvent } from '../examples/trace-text.ts';
import type { Trace } from '../examples/trace-types.ts';
import { getHost, type RunHandle, type RunOutcome } from './host.ts';
import { exampleStdio } from './session.ts';
import { outputBefore } from './stepper-output.ts';

/** Where the stepper marks the current line when the example's code is in the editor. */
export interface StepEditor {
  /** Mark line `line` (1-based) as the current step's, scrolled into view; null clears it. */
  markStep(line: number | null): void;
}

/** What examples.ts hands to {@link startStepping}. */
export interface StepRequest {
  /** The example's `div.example`. */
  example: HTMLElement;
  /** How the controls name the example, e.g. "example 3". */
  name: string;
  /** The code to trace (the edited text, else the original): line numbers refer to it. */
  code: string;
  /** The open editor, when the code shown is the editor's; else the static block is marked. */
  editor: StepEditor | null;
  /** Status line updates (text for the element's live status region). */
  onStatus(text: string): void;
  /** The stepper closed by itself (Esc, Close): move focus back to the Step button. */
  onClose(): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className: string, text: string, hidden: string, key: string): HTMLButtonElement {
  const node = el('button', `example-button ${className}`);
  node.type = 'button';
  node.setAttribute('aria-keyshortcuts', key);
  node.append(text, el('span', 'sr-only', hidden));
  return node;
}

/** Lines of the static code block (Expressive Code renders one `.ec-line` per source line). */
function staticLines(example: HTMLElement): HTMLElement[] {
  return [...example.querySelectorAll<HTMLElement>(':scope > .expressive-code pre .ec-line')];
}

/** An open stepper over one traced run. */
export class Stepper {
  readonly root: HTMLElement;
  /** The current event's index in the trace (0-based); -1 when the trace has no event. */
  index = -1;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly count: HTMLElement;
  private readonly line: HTMLElement;
  private readonly event: HTMLElement;
  private readonly output: HTMLPreElement;
  private readonly empty: HTMLElement;
  private marked: HTMLElement | null = null;
  private closed = false;
  private readonly request: StepRequest;
  private readonly trace: Trace;
  private readonly chunks: OutputChunk[];

  /**
   * @param request the example and how to mark its lines.
   * @param trace the run's trace (events in order; `truncated` says why tracing stopped early).
   * @param chunks the run's output in the order written; each event's `outputOffset` counts into it.
   * @param notes sentences about the run to show under the count (a cut trace, a stopped run).
   */
  constructor(request: StepRequest, trace: Trace, chunks: OutputChunk[], notes: string[]) {
    this.request = request;
    this.trace = trace;
    this.chunks = chunks;
    const { name } = request;
    this.root = el('div', 'example-stepper not-content');
    this.root.setAttribute('role', 'group');
    this.root.setAttribute('aria-label', `Steps of ${name}`);
    const bar = el('div', 'example-stepper-bar');
    this.prev = button('example-stepper-prev', 'Prev', ' step', 'ArrowLeft');
    this.next = button('example-stepper-next', 'Next', ' step', 'ArrowRight');
    const close = button('example-stepper-close', 'Close', ` the steps of ${name}`, 'Escape');
    const keys = el('span', 'example-stepper-keys', '← → step · Home End · Esc closes');
    keys.setAttribute('aria-hidden', 'true');
    bar.append(this.prev, this.next, close, keys);
    const now = el('div', 'example-stepper-now');
    now.setAttribute('aria-live', 'polite');
    now.setAttribute('aria-atomic', 'true');
    this.count = el('span', 'example-stepper-count');
    this.line = el('span', 'example-stepper-line');
    const where = el('p', '');
    where.append(this.count, this.line);
    this.event = el('p', 'example-stepper-event');
    now.append(where, this.event);
    this.root.append(bar, now);
    for (const text of notes) this.root.append(el('p', 'example-stepper-note', text));
    const caption = el('p', 'example-stepper-caption', 'Output before this step');
    this.output = el('pre', 'example-stepper-output');
    this.empty = el('p', 'example-stepper-empty', '(no output yet)');
    this.root.append(caption, this.output, this.empty);

    this.prev.addEventListener('click', () => this.go(this.index - 1));
    this.next.addEventListener('click', () => this.go(this.index + 1));
    close.addEventListener('click', () => this.close(true));
    this.root.addEventListener('keydown', (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const last = this.trace.events.length - 1;
      const to =
        event.key === 'ArrowLeft'
          ? this.index - 1
          : event.key === 'ArrowRight'
            ? this.index + 1
            : event.key === 'Home'
              ? 0
              : event.key === 'End'
                ? last
                : null;
      if (event.key === 'Escape') this.close(true);
      else if (to === null) return;
      else this.go(to);
      event.preventDefault();
      event.stopPropagation();
    });
    const controls = request.example.querySelector(':scope > .example-controls');
    if (controls) controls.after(this.root);
    else request.example.append(this.root);
    if (this.trace.events.length > 0) this.go(0);
    else this.showEmpty();
  }

  /** No event was recorded (the code did not compile, or ended before its first line): show the whole output. */
  private showEmpty(): void {
    this.count.textContent = 'No steps';
    this.line.textContent = '';
    this.event.textContent = 'No line of this code ran; the output says why.';
    this.root.dataset.steps = '0';
    this.prev.setAttribute('aria-disabled', 'true');
    this.next.setAttribute('aria-disabled', 'true');
    this.renderOutput(Number.POSITIVE_INFINITY);
  }

  /** Show step `index` (0-based; clamped to the trace): its line, count, event text and output. */
  go(index: number): void {
    const { events } = this.trace;
    if (this.closed || events.length === 0) return;
    const to = Math.min(Math.max(index, 0), events.length - 1);
    if (to === this.index) return;
    this.index = to;
    const event = events[to]!;
    this.root.dataset.step = String(to + 1);
    this.root.dataset.steps = String(events.length);
    this.root.dataset.line = String(event.line);
    this.root.dataset.kind = event.kind;
    this.count.textContent = `Step ${to + 1} of ${events.length}`;
    this.line.textContent = event.line > 0 ? ` · line ${event.line}` : '';
    this.event.textContent = describeEvent(this.trace, to, this.request.code);
    this.prev.setAttribute('aria-disabled', String(to === 0));
    this.next.setAttribute('aria-disabled', String(to === events.length - 1));
    this.mark(event.line > 0 ? event.line : null);
    this.renderOutput(event.outputOffset);
  }

  /** Put the output written before `offset` (UTF-16 code units) in the transcript, as text. */
  private renderOutput(offset: number): void {
    const { chunks, hidden } = outputBefore(this.chunks, offset);
    const nodes: (HTMLElement | string)[] = [];
    if (hidden > 0) nodes.push(el('span', 'example-stepper-gap', `… ${hidden.toLocaleString('en')} earlier characters not shown\n`));
    for (const chunk of chunks) {
      const span = el('span', chunk.stream === 'stderr' ? 'chunk stderr' : 'chunk');
      span.dataset.stream = chunk.stream;
      if (chunk.stream === 'stderr') span.append(el('span', 'example-stream-label', 'stderr: '));
      span.append(showControlCharacters(chunk.text));
      nodes.push(span);
    }
    this.output.replaceChildren(...nodes);
    this.empty.hidden = chunks.length > 0;
    this.output.hidden = chunks.length === 0;
    // The end is what this step printed last. A scrolling region must be reachable by keyboard (axe).
    this.output.scrollTop = this.output.scrollHeight;
    if (this.output.scrollHeight > this.output.clientHeight) this.output.tabIndex = 0;
    else this.output.removeAttribute('tabindex');
  }

  /** Highlight `line` (1-based) in the editor, or in the static block; null clears. */
  private mark(line: number | null): void {
    const { editor, example } = this.request;
    if (editor) {
      editor.markStep(line);
      return;
    }
    this.marked?.classList.remove('example-step-line');
    this.marked?.removeAttribute('aria-current');
    this.marked = null;
    const node = line === null ? undefined : staticLines(example)[line - 1];
    if (!node) return;
    node.classList.add('example-step-line');
    node.setAttribute('aria-current', 'step');
    this.marked = node;
    node.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  /** Give focus to the stepper (its Next button, which keeps focus at the last step: aria-disabled). */
  focus(): void {
    this.next.focus();
  }

  /**
   * Remove the stepper and its line mark. `byReader`: Esc or Close, so focus goes back to the
   * Step button (request.onClose); otherwise the caller closed it (Reset, an edit, a new Step).
   */
  close(byReader = false): void {
    if (this.closed) return;
    this.closed = true;
    this.root.remove();
    this.mark(null);
    if (byReader) this.request.onClose();
  }
}

/** Why the stepper's trace may end before the run did, in words, for its notes. */
function traceNotes(trace: Trace, outcome: Extract<RunOutcome, { kind: 'done' }>): string[] {
  const notes: string[] = [];
  if (trace.truncated) notes.push(`Tracing stopped before the end: ${trace.truncated}. The steps end there, though the run went on.`);
  if (outcome.interrupted) notes.push('Stopped with KeyboardInterrupt: the steps end where it was raised.');
  return notes;
}

/**
 * Run `request.code` once with tracing and open a stepper over its trace.
 *
 * @returns the run's handle (Stop works as for Run) and `finished`, which resolves (never
 *   rejects) once the run ended, with the status text and the open stepper, or null when there
 *   is nothing to step through (the run was cancelled or killed, or Python failed).
 */
export function startStepping(request: StepRequest): {
  handle: RunHandle;
  finished: Promise<{ status: string; stepper: Stepper | null }>;
} {
  const { example, code, onStatus } = request;
  const host = getHost();
  const unsubscribe = host.subscribe((state) => {
    if (state.phase === 'loading') onStatus(state.stage === 'download' ? 'Loading Python…' : 'Starting Python…');
  });
  const chunks: OutputChunk[] = [];
  const handle = host.run(
    code,
    {
      onQueued: () => onStatus('Waiting for another example to finish…'),
      onStart: () => onStatus('Running with each step recorded…'),
      onChunk: (chunk) => chunks.push(chunk),
    },
    { ...exampleStdio(example), trace: true },
  );
  const finished = handle.done.then((outcome) => {
    unsubscribe();
    switch (outcome.kind) {
      case 'cancelled':
        return { status: 'Cancelled.', stepper: null };
      case 'error':
        return { status: `Could not step: Python could not run this: ${outcome.message.split('\n')[0]}`, stepper: null };
      case 'killed':
        return { status: 'Killed: the Python worker was stopped, so there are no steps to show.', stepper: null };
    }
    const trace = outcome.result.trace;
    if (!trace) return { status: 'This run recorded no steps.', stepper: null };
    const stepper = new Stepper(request, trace, chunks, traceNotes(trace, outcome));
    stepper.focus();
    const n = trace.events.length;
    const status =
      n === 0
        ? 'No line of this code ran: no steps to show.'
        : `${n.toLocaleString('en')} ${n === 1 ? 'step' : 'steps'} recorded. Left and Right arrows move, Home and End jump, Escape closes.`;
    return { status, stepper };
  });
  return { handle, finished };
}

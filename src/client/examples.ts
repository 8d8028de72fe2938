/**
 * Run buttons for the verified examples: the only client code every page loads (added by
 * src/integrations/runtime.ts). It is small on purpose; the runtime host, the output panel and the
 * verdict (session.ts) load on the reader's first sign of intent (hover, focus or click on Run),
 * the editor (editor.ts, CodeMirror) on Edit, and Pyodide itself only when a run needs it.
 *
 * Each runnable example (`div.example[data-code]`, markup in src/integrations/remark-examples.ts)
 * gets an `<example-runner>` element in its empty `.example-controls`:
 *
 * ```html
 * <example-runner>
 *   <div class="example-buttons" role="group" aria-label="Example 2">
 *     <button class="example-run-button">Run<span class="sr-only"> example 2</span></button>
 *     <button class="example-step-button">Step<span class="sr-only"> through example 2</span></button>
 *     <button class="example-stop-button" hidden>Stop…</button>
 *     <button class="example-edit-button">Edit…</button> <button class="example-reset-button" hidden>Reset…</button>
 *     <button class="example-copy-button">Copy…</button> <button class="example-share-button" hidden>Copy link…</button>
 *   </div>
 *   <p class="example-run-status" role="status"></p>
 * </example-runner>
 * ```
 *
 * A `runtime=native` example (`data-runtime="native"`: verified with native CPython, it needs what
 * a browser lacks) gets no Run or Step button; Edit and Copy stay, and its note says why.
 *
 * Step runs the code (edited or not) once with its control flow traced and opens the stepper
 * (src/client/stepper.ts, loaded on the first Step) under the buttons; Esc there brings focus
 * back to Step. Reset, opening the editor or changing the code closes it (its steps are stale).
 *
 * Without JavaScript nothing is added: the code and its recorded output read as they are.
 * A link whose hash is `#example-<id>=<code in base64url>` opens that example's editor with the code
 * (`<id>` its `data-example-id`; the older `#example-<line>=…` form still works, src/client/share-link.ts).
 * Each example's permalink (`a.example-permalink`, rendered at build) moves into its button group.
 * An edit is kept in localStorage (src/client/edit-store.ts) and given back after a reload, with a
 * "Restored your edit · Reset" note above the editor.
 */
import type { EditorHandle } from './editor.ts';
import { EXAMPLE_FINISHED } from './events.ts';
import type { ExampleFinishedDetail } from './session.ts';
import { tracebackLine } from './traceback.ts';
import { labelSearchButton } from './search-label.ts';
import type { RunHandle } from './host.ts';
import type { Stepper } from './stepper.ts';
import { editKey, forgetEdit, loadEdit, saveEdit } from './edit-store.ts';
import { findSharedExample, parseShareHash, shareHash } from './share-link.ts';
import { editorHint, foldStaleOutput } from './stale-output.ts';

type Session = typeof import('./session.ts');
let session: Promise<Session> | null = null;
const loadSession = (): Promise<Session> => (session ??= import('./session.ts'));

function button(className: string, text: string, context: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = `example-button ${className}`;
  const hidden = document.createElement('span');
  hidden.className = 'sr-only';
  hidden.textContent = ` ${context}`;
  node.append(text, hidden);
  return node;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/** The Run/Stop/Edit/Reset/Copy controls of one example. */
export class ExampleRunnerElement extends HTMLElement {
  private example!: HTMLElement;
  private original = '';
  private editedCode: string | null = null;
  private editor: EditorHandle | null = null;
  private editorBox: HTMLElement | null = null;
  private opening: Promise<void> | null = null;
  private running: RunHandle | null = null;
  private busy = false;
  /** The example needs native CPython (`data-runtime="native"`): it cannot run here. */
  private native = false;
  private stopRequested = false;
  private runButton!: HTMLButtonElement;
  private stepButton!: HTMLButtonElement;
  /** The open stepper of the last Step, if any. */
  private stepper: Stepper | null = null;
  private stopButton!: HTMLButtonElement;
  private editButton!: HTMLButtonElement;
  private resetButton!: HTMLButtonElement;
  private copyButton!: HTMLButtonElement;
  private shareButton!: HTMLButtonElement;
  private status!: HTMLElement;

  connectedCallback(): void {
    if (this.runButton) return;
    const example = this.closest<HTMLElement>('div.example');
    if (!example || example.dataset.code === undefined) return;
    this.example = example;
    this.original = example.dataset.code;
    // Out of Starlight's prose flow rules (the margin between siblings), like the output panels.
    this.classList.add('not-content');
    const context = this.dataset.label ?? 'example';
    const group = document.createElement('div');
    group.className = 'example-buttons';
    group.setAttribute('role', 'group');
    group.setAttribute(
      'aria-label',
      context.replace(/^./, (c) => c.toUpperCase()),
    );
    this.runButton = button('example-run-button', 'Run', context);
    this.stepButton = button('example-step-button', 'Step', `through ${context}`);
    this.stopButton = button('example-stop-button', 'Stop', context);
    this.editButton = button('example-edit-button', 'Edit', context);
    this.resetButton = button('example-reset-button', 'Reset', context);
    this.copyButton = button('example-copy-button', 'Copy', `the code of ${context}`);
    this.shareButton = button('example-share-button', 'Copy link', `to the edited ${context}`);
    this.stopButton.hidden = true;
    this.resetButton.hidden = true;
    this.shareButton.hidden = true;
    this.native = example.dataset.runtime === 'native';
    this.runButton.hidden = this.native;
    this.stepButton.hidden = this.native;
    group.append(this.runButton, this.stepButton, this.stopButton, this.editButton, this.resetButton, this.copyButton, this.shareButton);
    // The build's permalink (remark-examples.ts) joins the buttons, named after this example.
    const permalink = this.closest('.example-controls')?.querySelector<HTMLAnchorElement>(':scope > a.example-permalink');
    if (permalink) {
      const hidden = permalink.querySelector('.sr-only');
      if (hidden) hidden.textContent = ` to ${context}`;
      group.append(permalink);
    }
    this.status = document.createElement('p');
    this.status.className = 'example-run-status';
    this.status.setAttribute('role', 'status');
    this.append(group, this.status);

    // Warm-up on intent: load the run module and start Pyodide in the worker.
    const warm = () => void loadSession().then((s) => s.warmUp());
    this.runButton.addEventListener('pointerenter', warm, { once: true });
    this.runButton.addEventListener('focus', warm, { once: true });
    this.runButton.addEventListener('click', () => void this.run());
    this.stepButton.addEventListener('pointerenter', warm, { once: true });
    this.stepButton.addEventListener('focus', warm, { once: true });
    this.stepButton.addEventListener('click', () => void this.run(true));
    this.stopButton.addEventListener('click', () => this.stop());
    this.editButton.addEventListener('click', () => void this.edit());
    this.resetButton.addEventListener('click', () => this.reset());
    this.copyButton.addEventListener('click', () => void this.copy());
    this.shareButton.addEventListener('click', () => void this.share());
    this.example.addEventListener(EXAMPLE_FINISHED, (event) => {
      if (event.target === this.example) this.markTraceback((event as CustomEvent<ExampleFinishedDetail>).detail);
    });
  }

  /** In the editor, mark the line the run's traceback points at (or clear the mark), and say it. */
  private markTraceback(detail: ExampleFinishedDetail): void {
    if (!this.editor) return;
    const at = detail.outcome.kind === 'done' ? tracebackLine(detail.stderr) : null;
    this.editor.markError(at?.line ?? null, at?.error);
    if (at) this.say(`${this.status.textContent ?? ''} The traceback points at line ${at.line} of your code.`.trim());
  }

  /** The code a run uses: the edited text, else the original. */
  get code(): string {
    return this.editedCode ?? this.original;
  }

  get edited(): boolean {
    return this.editedCode !== null && this.editedCode !== this.original;
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  /** Run the code; with `step`, run it traced and open the stepper over its steps (stepper.ts). */
  async run(step = false): Promise<void> {
    if (this.busy) return;
    if (this.native) {
      // Ctrl+Enter in the editor: say why nothing runs.
      this.say('This example needs native CPython (see the note under it): it cannot run in your browser.');
      return;
    }
    this.busy = true;
    this.stopRequested = false;
    this.runButton.setAttribute('aria-disabled', 'true');
    this.stepButton.setAttribute('aria-disabled', 'true');
    if (step) this.closeStepper();
    this.stopButton.hidden = false;
    this.dataset.state = 'running';
    this.say('Starting…');
    try {
      const s = await loadSession();
      if (this.stopRequested) {
        this.say('Cancelled before it started.');
        return;
      }
      const { handle, finished } = step
        ? await this.startStep()
        : s.startRun({
            example: this.example,
            name: this.dataset.label ?? 'example',
            code: this.code,
            edited: this.edited,
            onStatus: (text) => this.say(text),
          });
      this.running = handle;
      await finished;
    } catch (error) {
      this.say(`Could not run: ${(error as Error).message}`);
    } finally {
      this.running = null;
      this.busy = false;
      this.runButton.removeAttribute('aria-disabled');
      this.stepButton.removeAttribute('aria-disabled');
      // Stop disappears: keep keyboard focus on this example's controls.
      const stopHadFocus = document.activeElement === this.stopButton;
      this.stopButton.hidden = true;
      this.stopButton.removeAttribute('aria-disabled');
      this.dataset.state = 'idle';
      if (stopHadFocus) this.runButton.focus();
    }
  }

  /** A traced run whose end opens the stepper; `finished` resolves once it is open (or why not is said). */
  private async startStep(): Promise<{ handle: RunHandle; finished: Promise<unknown> }> {
    const { startStepping } = await import('./stepper.ts');
    const { handle, finished } = startStepping({
      example: this.example,
      name: this.dataset.label ?? 'example',
      code: this.code,
      editor: this.editor,
      onStatus: (text) => this.say(text),
      onClose: () => {
        this.stepper = null;
        this.say('');
        this.stepButton.focus();
      },
    });
    return {
      handle,
      finished: finished.then(({ status, stepper }) => {
        this.stepper = stepper;
        this.say(status);
      }),
    };
  }

  /** Close the stepper: its steps belong to code no longer shown (an edit, Reset, a new Step). */
  private closeStepper(): void {
    this.stepper?.close();
    this.stepper = null;
  }

  stop(): void {
    if (!this.busy || this.stopRequested) return;
    this.stopRequested = true;
    this.stopButton.setAttribute('aria-disabled', 'true');
    this.say(this.running ? 'Stopping: KeyboardInterrupt sent…' : 'Cancelling…');
    this.running?.stop();
  }

  /** Where this example's edit is stored: by page and stable id (null for a page built without ids). */
  private get storeKey(): string | null {
    const id = this.example.dataset.exampleId;
    return id ? editKey(location.pathname, id) : null;
  }

  /** After a reload: reopen the editor with the edit kept from the last visit, if any, without taking focus; resolves true when it did. */
  async restoreStoredEdit(): Promise<boolean> {
    const key = this.storeKey;
    const stored = key ? loadEdit(key) : null;
    if (stored === null || stored === this.original || this.editor || this.opening) return false;
    this.opening = this.openEditor(stored, true);
    await this.opening;
    this.opening = null;
    return true;
  }

  /** Open the editor (loading CodeMirror) and focus it. */
  async edit(initial?: string): Promise<void> {
    if (this.editor) {
      if (initial !== undefined) this.replaceEditor(initial);
      this.editor.focus();
      return;
    }
    this.opening ??= this.openEditor(initial);
    await this.opening;
    this.opening = null;
  }

  /** `restored`: the code is a stored edit; show the note instead of taking focus (the reader did not ask). */
  private async openEditor(initial?: string, restored = false): Promise<void> {
    this.say('Loading the editor…');
    let createEditor: typeof import('./editor.ts').createEditor;
    try {
      ({ createEditor } = await import('./editor.ts'));
    } catch (error) {
      this.say(`Could not load the editor: ${(error as Error).message}`);
      return;
    }
    const code = this.example.querySelector<HTMLElement>(':scope > .expressive-code');
    const box = document.createElement('div');
    box.className = 'example-editor not-content';
    const hint = document.createElement('p');
    hint.className = 'example-editor-hint';
    hint.id = `example-editor-hint-${this.dataset.index ?? Math.random().toString(36).slice(2)}`;
    hint.textContent = editorHint();
    box.append(hint);
    if (restored) box.prepend(this.restoredNote());
    this.editorBox = box;
    this.closeStepper();
    this.editedCode = initial ?? this.code;
    this.mountEditor(createEditor, this.editedCode, hint.id);
    if (code) {
      code.hidden = true;
      code.after(box);
    } else {
      this.closest('.example-controls')?.before(box);
    }
    this.editButton.hidden = true;
    this.resetButton.hidden = false;
    this.updateShare();
    this.say('');
    if (!restored) this.editor!.focus();
  }

  /** "Restored your edit · Reset": Reset brings back the original code and forgets the stored edit. */
  private restoredNote(): HTMLElement {
    const note = document.createElement('p');
    note.className = 'example-restored';
    const reset = button('example-restored-reset', 'Reset', `${this.dataset.label ?? 'example'} to the original code`);
    reset.addEventListener('click', () => this.reset());
    note.append('Restored your edit · ', reset);
    return note;
  }

  private createEditorFn: typeof import('./editor.ts').createEditor | null = null;

  private mountEditor(createEditor: typeof import('./editor.ts').createEditor, text: string, hintId: string): void {
    this.createEditorFn = createEditor;
    const name = this.dataset.label ?? 'example';
    this.editor = createEditor({
      code: text,
      label: `Python code of ${name}, editable`,
      describedBy: hintId,
      onRun: () => void this.run(),
      onEscape: () => (this.native ? this.resetButton : this.runButton).focus(),
      onChange: (value) => {
        this.closeStepper();
        this.editedCode = value;
        const key = this.storeKey;
        if (key) saveEdit(key, value, this.original);
        this.updateShare();
      },
    });
    this.editorBox!.append(this.editor.element);
  }

  private replaceEditor(text: string): void {
    if (!this.editor || !this.createEditorFn || !this.editorBox) return;
    this.editor.destroy();
    this.editor.element.remove();
    this.editedCode = text;
    this.mountEditor(this.createEditorFn, text, this.editorBox.querySelector('.example-editor-hint')!.id);
    this.updateShare();
  }

  private updateShare(): void {
    this.shareButton.hidden = !this.edited;
    foldStaleOutput(this.example, this.edited);
  }

  /** Close the editor, show the original code again and remove the live output. */
  reset(): void {
    this.stop();
    this.closeStepper();
    this.editor?.destroy();
    this.editor = null;
    this.editorBox?.remove();
    this.editorBox = null;
    this.editedCode = null;
    const key = this.storeKey;
    if (key) forgetEdit(key);
    const code = this.example.querySelector<HTMLElement>(':scope > .expressive-code');
    if (code) code.hidden = false;
    this.editButton.hidden = false;
    this.resetButton.hidden = true;
    this.shareButton.hidden = true;
    foldStaleOutput(this.example, false);
    void session?.then((s) => s.clearRun(this.example));
    this.editButton.focus();
    this.say('Reset: the original code is back.');
  }

  private async copy(): Promise<void> {
    this.say((await copyText(this.code)) ? 'Code copied to the clipboard.' : 'Could not copy: select the code and copy it.');
  }

  /** A link to this page that opens this example's editor with the edited code. */
  shareLink(): string {
    const url = new URL(location.href);
    url.hash = shareHash(this.example.dataset.exampleId ?? this.example.dataset.exampleLine ?? '', this.code);
    return url.href;
  }

  private async share(): Promise<void> {
    this.say((await copyText(this.shareLink())) ? 'Link to your edited code copied.' : 'Could not copy the link.');
  }
}

/** Add the controls to every runnable example of the page, then open a shared edit if the URL holds one. */
function init(): void {
  if (!customElements.get('example-runner')) customElements.define('example-runner', ExampleRunnerElement);
  let index = 0;
  for (const example of document.querySelectorAll<HTMLElement>('div.example[data-code]:not(.example-norun)')) {
    index++;
    const controls = example.querySelector<HTMLElement>(':scope > .example-controls');
    if (!controls || controls.querySelector('example-runner')) continue;
    const element = document.createElement('example-runner') as ExampleRunnerElement;
    element.dataset.index = String(index);
    element.dataset.label = `example ${index}`;
    controls.append(element);
  }
  const shared = openSharedEdit();
  const restoring = [...document.querySelectorAll<ExampleRunnerElement>('example-runner')]
    .filter((element) => element !== shared)
    .map((element) => element.restoreStoredEdit());
  // A restored editor above a permalink's target moves it after the browser scrolled to it: go back.
  const target =
    !shared && location.hash.startsWith('#example-') ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (target) void Promise.all(restoring).then((done) => done.some(Boolean) && target.scrollIntoView({ block: 'start' }));
}

/** Open the example a share link names with its code; returns its element (null when there is none). */
function openSharedEdit(): ExampleRunnerElement | null {
  const shared = parseShareHash(location.hash);
  if (!shared) return null;
  const example = findSharedExample(document, shared.key);
  const element = example?.querySelector<ExampleRunnerElement>('example-runner');
  if (!element) return null;
  // Again once the editor is in: it replaces the code's box, and focusing it scrolls to the cursor.
  example!.scrollIntoView({ block: 'start' });
  void element.edit(shared.code).then(() => example!.scrollIntoView({ block: 'start' }));
  return element;
}

function registerServiceWorker(): void {
  const path = __EXAMPLES_RUNTIME__.serviceWorker;
  if (!('serviceWorker' in navigator)) return;
  if (!path) {
    // Dev server: no offline cache. `astro preview` on the same port may have left one; drop it
    // so that it never answers for the dev server.
    void navigator.serviceWorker.getRegistrations().then((all) => {
      for (const registration of all) if (registration.active?.scriptURL.endsWith('/sw.js')) void registration.unregister();
    });
    return;
  }
  const register = async () => {
    try {
      const registration = await navigator.serviceWorker.register(path);
      await navigator.serviceWorker.ready;
      // Pages and assets fetched before the worker controlled this page: keep them too.
      const keep = () => {
        const urls = [location.href.split('#')[0]!, ...performance.getEntriesByType('resource').map((e) => e.name)];
        (navigator.serviceWorker.controller ?? registration.active)?.postMessage({ type: 'cache', urls });
      };
      if (navigator.serviceWorker.controller) keep();
      else navigator.serviceWorker.addEventListener('controllerchange', keep, { once: true });
    } catch {
      // No offline reading; nothing else depends on it.
    }
  };
  if (document.readyState === 'complete') void register();
  else addEventListener('load', () => void register(), { once: true });
}

init();
labelSearchButton();
registerServiceWorker();

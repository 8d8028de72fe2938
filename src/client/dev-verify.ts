/**
 * Dev server only (injected by src/integrations/dev-verify.ts under `astro dev`, never in a build):
 * shows the live verification of this page's examples.
 *
 * - Next to each example that drifted, has no recorded output, or failed: a panel with a text badge
 *   ("Output drifted", not colour alone), the `file:line`, the diff, and a button that re-records
 *   that one output fence; when the server has re-recorded and re-verified the file, the page reloads.
 * - A small status line in a corner (a polite live region): checking / all passed / N problems,
 *   and content errors of the page.
 *
 * Results arrive as the `dev-verify:status` Vite HMR event and from `GET /__dev-verify/status`
 * (fetched on load, so a page opened after a save still gets its results).
 */
import type { DevBlockStatus, DevFileStatus } from '../integrations/dev-verify.ts';

const EVENT = 'dev-verify:status';
const ENDPOINT = '/__dev-verify';

const LABELS: Record<DevBlockStatus['status'], string> = {
  drifted: 'Output drifted',
  missing: 'Output not recorded',
  failed: 'Example failed',
};

const EXPLANATIONS: Record<DevBlockStatus['status'], string> = {
  drifted: 'The recorded output below no longer matches what this code prints. Diff, recorded (−) → actual (+):',
  missing: 'This example has no output fence yet.',
  failed: 'The example could not be verified:',
};

const STYLE = `
.dev-verify { margin: 0.5rem 0 0; padding: 0.5rem 0.75rem; border: 2px solid var(--sl-color-orange-high); border-inline-start-width: 6px;
  border-radius: 0.25rem; background: var(--sl-color-orange-low); color: var(--sl-color-white); font-size: var(--sl-text-sm); }
.dev-verify[data-status='failed'] { border-color: var(--sl-color-red-high); background: var(--sl-color-red-low); }
.dev-verify > * + * { margin-top: 0.5rem; }
.dev-verify-head { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: baseline; margin: 0; }
.dev-verify-badge { font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em; }
.dev-verify-where { font-family: var(--__sl-font-mono); }
.dev-verify-diff { margin: 0; padding: 0.5rem; overflow-x: auto; white-space: pre; background: var(--sl-color-black);
  color: var(--sl-color-white); border-radius: 0.25rem; font-family: var(--__sl-font-mono); font-size: var(--sl-text-code); }
.dev-verify-diff .del { color: var(--sl-color-red-high); }
.dev-verify-diff .ins { color: var(--sl-color-green-high); }
.dev-verify-diff .hunk { color: var(--sl-color-gray-3); }
.dev-verify-rerecord { font: inherit; font-weight: 600; padding: 0.25rem 0.75rem; border: 1px solid currentColor; border-radius: 0.25rem;
  background: var(--sl-color-black); color: var(--sl-color-white); cursor: pointer; }
.dev-verify-rerecord:focus-visible { outline: 2px solid var(--sl-color-accent); outline-offset: 2px; }
.dev-verify-rerecord:disabled { cursor: progress; opacity: 0.8; }
.dev-verify-message:empty { display: none; }
.dev-verify-summary { position: fixed; inset-inline-end: 1rem; inset-block-end: 1rem; z-index: 100; max-width: min(36rem, calc(100vw - 2rem));
  padding: 0.375rem 0.75rem; border: 1px solid var(--sl-color-gray-5); border-radius: 0.25rem; background: var(--sl-color-gray-6);
  color: var(--sl-color-white); font-size: var(--sl-text-xs); box-shadow: var(--sl-shadow-md); }
.dev-verify-summary[data-state='problems'] { border: 2px solid var(--sl-color-orange-high); }
.dev-verify-summary ul { margin: 0.25rem 0 0; padding-inline-start: 1rem; font-family: var(--__sl-font-mono); white-space: pre-wrap; }
`;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A diff with each line kept as text (its `-`/`+` sign stays visible) and classed for colour. */
function renderDiff(diff: string): HTMLPreElement {
  const pre = el('pre', 'dev-verify-diff');
  pre.tabIndex = 0; // scrollable: reachable by keyboard
  diff.split('\n').forEach((line, i) => {
    if (i > 0) pre.append('\n');
    const kind = line.startsWith('@@')
      ? 'hunk'
      : line.startsWith('-') && !line.startsWith('---')
        ? 'del'
        : line.startsWith('+') && !line.startsWith('+++')
          ? 'ins'
          : '';
    pre.append(kind ? el('span', kind, line) : line);
  });
  return pre;
}

let file: string | null = null;
let version = -1;
let summary: HTMLElement | null = null;

function examplesOnPage(): Map<number, HTMLElement> {
  const found = new Map<number, HTMLElement>();
  for (const node of document.querySelectorAll<HTMLElement>('div.example[data-example-line]')) {
    found.set(Number(node.dataset.exampleLine), node);
  }
  return found;
}

async function rerecord(block: DevBlockStatus, button: HTMLButtonElement, message: HTMLElement): Promise<void> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  const label = button.textContent;
  button.textContent = 'Re-recording…';
  message.textContent = '';
  try {
    const response = await fetch(`${ENDPOINT}/rerecord`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ file, line: block.line }),
    });
    const body = (await response.json()) as { ok: boolean; message: string };
    if (!response.ok || !body.ok) throw new Error(body.message);
    message.textContent = `${body.message}; reloading…`;
    location.reload();
  } catch (error) {
    message.textContent = `Could not re-record: ${(error as Error).message}`;
    button.textContent = label;
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

function blockPanel(status: DevFileStatus, block: DevBlockStatus): HTMLElement {
  const where = `${status.file}:${block.line}`;
  const panel = el('div', 'dev-verify not-content');
  panel.dataset.status = block.status;
  panel.dataset.devVerifyLine = String(block.line);
  panel.setAttribute('role', 'group');
  panel.setAttribute('aria-label', `Dev check: ${LABELS[block.status].toLowerCase()} at ${where}`);
  const head = el('p', 'dev-verify-head');
  head.append(el('strong', 'dev-verify-badge', `⚠ ${LABELS[block.status]}`), el('code', 'dev-verify-where', where));
  panel.append(
    head,
    el('p', '', block.status === 'failed' && block.reason ? `${EXPLANATIONS.failed} ${block.reason}` : EXPLANATIONS[block.status]),
  );
  if (block.diff) panel.append(renderDiff(block.diff));
  if (block.status !== 'failed') {
    const button = el('button', 'dev-verify-rerecord', block.status === 'missing' ? 'Record the output' : 'Re-record this output');
    button.type = 'button';
    const message = el('p', 'dev-verify-message');
    message.setAttribute('role', 'status');
    button.addEventListener('click', () => void rerecord(block, button, message));
    panel.append(button, message);
  }
  return panel;
}

function renderSummary(status: DevFileStatus, unplaced: DevBlockStatus[]): void {
  if (!summary) {
    summary = el('div', 'dev-verify-summary not-content');
    summary.setAttribute('role', 'status');
    summary.setAttribute('aria-live', 'polite');
    document.body.append(summary);
  }
  const problems = status.blocks.length + status.problems.length;
  summary.dataset.state = status.state === 'checking' ? 'checking' : problems || status.error ? 'problems' : 'ok';
  summary.replaceChildren();
  let text: string;
  if (status.state === 'checking') text = `Examples (dev check): checking ${status.file}…`;
  else if (status.error) text = `Examples (dev check): verification failed: ${status.error}`;
  else if (problems) {
    const parts = [];
    if (status.blocks.length) parts.push(`${status.blocks.length} example${status.blocks.length === 1 ? '' : 's'} not matching`);
    if (status.problems.length) parts.push(`${status.problems.length} content error${status.problems.length === 1 ? '' : 's'}`);
    text = `Examples (dev check): ${parts.join(', ')}; ${status.passed} passed`;
  } else text = `Examples (dev check): all ${status.passed} passed`;
  summary.append(el('span', '', text));
  const lines = [
    ...status.problems,
    ...unplaced.map((b) => `${status.file}:${b.line}: ${LABELS[b.status].toLowerCase()} (reload the page to see it)`),
  ];
  if (lines.length) {
    const list = el('ul', '');
    for (const line of lines) list.append(el('li', '', line));
    summary.append(list);
  }
}

function render(status: DevFileStatus): void {
  if (status.file !== file) return;
  // Checking: keep showing the last results, only the summary says a check is running.
  if (status.state !== 'checking') {
    if (status.version < version) return;
    version = status.version;
    for (const old of document.querySelectorAll('.dev-verify')) old.remove();
  }
  const examples = examplesOnPage();
  const unplaced: DevBlockStatus[] = [];
  if (status.state !== 'checking') {
    for (const block of status.blocks) {
      const example = examples.get(block.line);
      if (!example) {
        unplaced.push(block);
        continue;
      }
      const panel = blockPanel(status, block);
      const figure = example.querySelector(':scope > figure.example-output');
      if (figure) figure.before(panel);
      else example.append(panel);
    }
  }
  renderSummary(status, unplaced);
}

async function start(): Promise<void> {
  if (document.readyState === 'loading')
    await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
  const style = el('style', '', STYLE);
  style.dataset.devVerify = '';
  document.head.append(style);
  import.meta.hot?.on(EVENT, (status: DevFileStatus) => render(status));
  const params = new URLSearchParams({ path: location.pathname });
  const named = document.querySelector<HTMLElement>('[data-example-file]')?.dataset.exampleFile;
  if (named) params.set('file', named);
  const fetchStatus = async () =>
    (await (await fetch(`${ENDPOINT}/status?${params}`, { cache: 'no-store' })).json()) as DevFileStatus | null;
  let status = await fetchStatus();
  if (!status) return; // not a content page
  file = status.file;
  params.set('file', file);
  document.documentElement.dataset.devVerifyFile = file;
  render(status);
  // Without the HMR channel (it should always be there under `astro dev`), poll until the check is done.
  while (!import.meta.hot && status?.state === 'checking') {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    status = await fetchStatus();
    if (status) render(status);
  }
}

void start();

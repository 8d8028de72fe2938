/**
 * Two small things the reader sees while editing an example (used by examples.ts):
 *
 * - Once the code is edited, the recorded output under it no longer belongs to it: it is folded
 *   away (its lines hidden by runner.css), with a note saying why and a button to show it again.
 *   Back to the original code (Reset, or typing it back), it unfolds. Markup added to the
 *   example's `figure.example-output`:
 *
 *   ```html
 *   <figure class="example-output" data-stale="" [data-stale-open=""]>
 *     <figcaption>Output</figcaption>
 *     <p class="example-stale-note">You edited the code: this output was recorded for the original code.
 *       <button class="example-stale-toggle" aria-expanded="false">Show it</button></p>
 *     …
 *   ```
 *
 * - The editor's hint names keyboard shortcuts only where there is a keyboard to press them.
 */

/**
 * Fold (or unfold) the recorded output of `example` for edited (or original) code.
 * @param example the `div.example`.
 * @param stale true when the code being shown differs from the code the output was recorded for.
 */
export function foldStaleOutput(example: HTMLElement, stale: boolean): void {
  const figure = example.querySelector<HTMLElement>(':scope > figure.example-output');
  if (!figure) return;
  const note = figure.querySelector<HTMLElement>(':scope > .example-stale-note');
  if (!stale) {
    delete figure.dataset.stale;
    delete figure.dataset.staleOpen;
    note?.remove();
    return;
  }
  if (note) return;
  figure.dataset.stale = '';
  const p = document.createElement('p');
  p.className = 'example-stale-note';
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'example-stale-toggle';
  toggle.setAttribute('aria-expanded', 'false');
  toggle.textContent = 'Show it';
  toggle.addEventListener('click', () => {
    const open = figure.dataset.staleOpen === undefined;
    if (open) figure.dataset.staleOpen = '';
    else delete figure.dataset.staleOpen;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide it' : 'Show it';
  });
  p.append('You edited the code: this output was recorded for the original code. ', toggle);
  figure.querySelector(':scope > figcaption')?.after(p);
}

/**
 * The editor's hint, for the device at hand.
 * @returns keyboard shortcuts when the device has a fine pointer or hover (a keyboard is likely);
 *   on a touch-only device (`(hover: none) and (pointer: coarse)`), what to tap instead.
 */
export function editorHint(): string {
  const touchOnly = typeof matchMedia === 'function' && matchMedia('(hover: none) and (pointer: coarse)').matches;
  return touchOnly
    ? 'Editing. Tap Run to run your code. Reset restores the original code.'
    : 'Editing. Ctrl+Enter (⌘+Enter) runs, Tab indents, Esc leaves the editor. Reset restores the original code.';
}

/**
 * Client script of RunToReveal.astro: keep an example's recorded output hidden until the reader
 * runs the example (or asks for the output), so they can predict it first.
 *
 * States, on the wrapper's `data-state`: absent (no JavaScript: the output is visible), `hidden`
 * (the recorded output hidden by CSS), `revealed`. A run reveals it however it was started (the
 * Run button by mouse, Enter or Space, or Ctrl+Enter in the editor): as soon as the example's run
 * panel (src/client/session.ts) says it is running.
 */

function setUp(box: HTMLElement): void {
  if (box.dataset.state) return; // already set up (a page may run the script more than once)
  const show = box.querySelector<HTMLButtonElement>('.reveal-show');
  const status = box.querySelector<HTMLElement>('.reveal-status');
  const explained = (box.querySelector('.reveal-explanation')?.childElementCount ?? 0) > 0 ? ', and the explanation below it' : '';

  /** `how` says in the announcement what revealed the output. */
  const reveal = (how: 'run' | 'button'): void => {
    if (box.dataset.state === 'revealed') return;
    box.dataset.state = 'revealed';
    if (status) {
      status.textContent =
        how === 'run'
          ? `The recorded output is now shown under your run, to compare${explained}.`
          : `The recorded output is now shown under the code${explained}.`;
    }
    if (how === 'button') {
      // The button disappears once revealed: keep keyboard focus in the box.
      status?.setAttribute('tabindex', '-1');
      status?.focus();
    }
  };

  box.addEventListener('click', (event) => {
    const target = event.target as Element | null;
    if (target?.closest('.example-controls :is(.example-run-button, .example-step-button)')) reveal('run');
  });
  new MutationObserver(() => {
    if (box.dataset.state === 'hidden' && box.querySelector('.example-run[data-state="running"]')) reveal('run');
  }).observe(box, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  if (show) {
    show.disabled = false;
    show.addEventListener('click', () => reveal('button'));
  }
  box.dataset.state = 'hidden';
}

/** Set up every run-to-reveal example on the page (elements with `data-run-to-reveal`). */
export function initRunToReveal(root: ParentNode = document): void {
  for (const box of root.querySelectorAll<HTMLElement>('[data-run-to-reveal]')) setUp(box);
}

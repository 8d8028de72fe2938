/**
 * Browser script of the 404 page (src/pages/404.astro): name the address that was not found, and
 * let the reader search the site for the words in it with one button, which opens Starlight's
 * search dialog with those words filled in (a mistyped `/exit-semantic/` searches "exit semantic").
 */

/**
 * The words of a URL path, as a search query.
 * @param pathname a URL path as `location.pathname` gives it (percent-encoded), e.g. `/exit-semantic/`.
 * @returns its segments split on `/ - _ . +` and joined by spaces, without a trailing `index` or
 *   `html` (`/finally/index.html` gives `finally`), decoded where the encoding is valid; `''` for `/`.
 */
export function searchQueryFromPath(pathname: string): string {
  let text = pathname;
  try {
    text = decodeURIComponent(pathname);
  } catch {
    // A malformed escape (`%E0%A4%A`): search the text as it is rather than nothing.
  }
  const words = text.split(/[/\-_.+\s]+/).filter((word) => word !== '');
  while (words.length > 0 && /^(index|html?)$/i.test(words.at(-1)!)) words.pop();
  return words.join(' ');
}

/** How long to wait for Pagefind's search field after opening the dialog (it loads on first open), in ms. */
const FIELD_WAIT_MS = 5000;

/**
 * Open Starlight's search dialog (the header's search button) and type `query` into its field.
 * @param query the words to search; `''` only opens the dialog.
 * @returns false when the page has no search button (a development build without Pagefind).
 */
export function openSearch(query: string): boolean {
  const open = document.querySelector<HTMLButtonElement>('site-search button[data-open-modal]');
  if (!open) return false;
  open.click();
  const started = performance.now();
  const fill = (): void => {
    const field = document.querySelector<HTMLInputElement>('dialog[open] input[type="search"], dialog[open] .pagefind-ui__search-input');
    if (!field) {
      if (performance.now() - started < FIELD_WAIT_MS) setTimeout(fill, 50);
      return;
    }
    field.value = query;
    // Pagefind's UI searches on `input` events.
    field.dispatchEvent(new Event('input', { bubbles: true }));
    field.focus();
  };
  if (query) fill();
  return true;
}

/** Set up the 404 page: show the missing address and enable the search button. */
export function initNotFound(): void {
  const query = searchQueryFromPath(location.pathname);
  const where = document.querySelector<HTMLElement>('[data-not-found-path]');
  if (where) {
    where.textContent = location.pathname;
    where.closest<HTMLElement>('[data-not-found-where]')?.removeAttribute('hidden');
  }
  const button = document.querySelector<HTMLButtonElement>('[data-not-found-search]');
  if (!button || !document.querySelector('site-search button[data-open-modal]')) return;
  const label = button.querySelector<HTMLElement>('[data-not-found-query]');
  if (label && query) label.textContent = ` for “${query}”`;
  button.hidden = false;
  button.addEventListener('click', (event) => {
    // Starlight's dialog closes on any click outside it, through a window listener it adds while
    // opening: this click would reach that listener and close the dialog it just opened.
    event.stopPropagation();
    openSearch(query);
  });
}

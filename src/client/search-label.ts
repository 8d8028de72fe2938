/**
 * An accessibility fix for Starlight's search button (WCAG 2.5.3 Label in Name, axe's
 * label-content-name-mismatch): it shows "Search" and a "Ctrl K" hint, but its accessible name is
 * only "Search", and the hint's keys have no space between them ("CtrlK"). This separates the
 * visible words and names the button with all of them ("Search Ctrl K"; "Search ⌘ K" on macOS,
 * where Starlight's own script swaps the key). Nothing changes
 * visually: whitespace between flex items is not rendered.
 * Runs from the page script (examples.ts) rather than a Starlight `Search` override, so that
 * Starlight's component is used exactly as shipped.
 */
export function labelSearchButton(root: ParentNode = document): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('button[data-open-modal]')) {
    const hint = button.querySelector(':scope > kbd');
    if (!hint || button.dataset.label !== undefined) continue;
    const name = button.getAttribute('aria-label') ?? '';
    button.dataset.label = name;
    const keys = [...hint.querySelectorAll('kbd')];
    for (const key of keys.slice(1)) key.before(' ');
    hint.before(' ');
    const label = () => {
      const words = keys.map((key) => key.textContent?.trim()).filter(Boolean);
      button.setAttribute('aria-label', [name, ...words].join(' ').trim());
    };
    label();
    // Starlight's script may swap Ctrl for ⌘ after this module ran: follow it.
    new MutationObserver(label).observe(hint, { subtree: true, childList: true, characterData: true });
  }
}

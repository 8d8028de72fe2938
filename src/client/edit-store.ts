/**
 * The reader's edits, kept in the page's localStorage so that a reload (or a later visit) gives
 * them back (src/client/examples.ts shows them with a "Restored your edit · Reset" note).
 *
 * Keyed by the page's path and the example's stable id (`data-example-id`, src/examples/example-id.ts),
 * not its line: text added above an example does not lose its edit. An id computed from the code
 * changes when the site's code of that example changes, and the old edit is then no longer offered
 * (it was an edit of other code); an explicit `id=` keeps it.
 *
 * The page stores, never the examples: they run in a sandboxed, opaque-origin frame
 * (src/client/frame.ts), which has no localStorage and cannot read the page's.
 * Storage may be unavailable (disabled, full, a private window's quota): then nothing is kept and
 * nothing fails.
 */

/** Prefix of every key this module writes. */
export const EDIT_KEY_PREFIX = 'finally-verified:edit:';

/**
 * The storage key of an example's edit.
 * @param path the page's path, e.g. `/finally/` (`location.pathname`).
 * @param id the example's `data-example-id`.
 * @returns e.g. `finally-verified:edit:/finally/#3f2a9c01`.
 */
export function editKey(path: string, id: string): string {
  return `${EDIT_KEY_PREFIX}${path}#${id}`;
}

/** What is stored under a key (JSON): the edited code and when it was saved (ms since the epoch). */
interface StoredEdit {
  code: string;
  savedAt: number;
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // a SecurityError when storage is blocked
  }
}

/**
 * The stored edit of an example.
 * @returns its code, or null when none is stored (or it cannot be read).
 */
export function loadEdit(key: string): string | null {
  try {
    const raw = storage()?.getItem(key);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<StoredEdit>;
    return typeof value.code === 'string' ? value.code : null;
  } catch {
    return null;
  }
}

/**
 * Keep an example's edited code (replacing any earlier one). When `code` is the original code,
 * the stored edit is removed instead: there is nothing to restore.
 */
export function saveEdit(key: string, code: string, original: string): void {
  if (code === original) {
    forgetEdit(key);
    return;
  }
  try {
    storage()?.setItem(key, JSON.stringify({ code, savedAt: Date.now() } satisfies StoredEdit));
  } catch {
    // Quota exceeded: the edit lives only until the page is left.
  }
}

/** Remove an example's stored edit (Reset). */
export function forgetEdit(key: string): void {
  try {
    storage()?.removeItem(key);
  } catch {
    // Nothing stored, nothing to remove.
  }
}

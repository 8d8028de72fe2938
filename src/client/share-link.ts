/**
 * Share links and permalinks of examples (src/client/examples.ts builds and opens them).
 *
 * - `#example-<id>`: the permalink; `id="example-<id>"` is on the example itself, so the browser
 *   scrolls to it, with or without JavaScript.
 * - `#example-<id>=<code>`: opens that example's editor with `<code>` (UTF-8, base64url).
 *   `<id>` is the example's `data-example-id` (its `id=` meta or a hash of its original code,
 *   src/examples/example-id.ts), so the link holds when text above the example changes.
 * - `#example-<line>=<code>`: the old form, keyed by the python fence's line
 *   (`data-example-line`). Still opened while an example starts at that line.
 *
 * Explicit ids start with a letter and computed ids are 8 hex digits, so an id is tried first and
 * a number falls back to a line (a line never has 8 digits).
 */

/** A share link's hash, parsed. */
export interface SharedEdit {
  /** The example's id, or (old links) the decimal line of its python fence. */
  key: string;
  /** The code to open, decoded. */
  code: string;
}

/**
 * Base64url (RFC 4648 §5, no padding) of UTF-8 text.
 * @param code any text.
 * @returns `[A-Za-z0-9_-]*`.
 */
export function encodeCode(code: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(code)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The text of {@link encodeCode}'s output.
 * @throws DOMException (not base64) or TypeError (not UTF-8).
 */
export function decodeCode(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * The hash of a share link.
 * @param id the example's `data-example-id`.
 * @param code the code to share.
 * @returns e.g. `#example-3f2a9c01=cHJpbnQoMSk`.
 */
export function shareHash(id: string, code: string): string {
  return `#example-${id}=${encodeCode(code)}`;
}

/**
 * Read a share link's hash.
 * @param hash `location.hash`.
 * @returns the example key and code, or null when the hash is not a share link or its code does not decode.
 */
export function parseShareHash(hash: string): SharedEdit | null {
  const match = /^#example-([a-z0-9-]+)=([A-Za-z0-9_-]*)$/.exec(hash);
  if (!match) return null;
  try {
    return { key: match[1]!, code: decodeCode(match[2]!) };
  } catch {
    return null;
  }
}

/**
 * The example a share link names: by id, else (a number: an old link) by line.
 * @param root the page.
 * @param key {@link SharedEdit.key}.
 * @returns the `div.example`, or null when the page has none that matches.
 */
export function findSharedExample(root: ParentNode, key: string): HTMLElement | null {
  const byId = [...root.querySelectorAll<HTMLElement>('div.example[data-example-id]')].find((e) => e.dataset.exampleId === key);
  if (byId) return byId;
  if (!/^\d+$/.test(key)) return null;
  return root.querySelector<HTMLElement>(`div.example[data-example-line="${key}"]`);
}

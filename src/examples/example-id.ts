/**
 * Stable ids of the examples of a page: what share links, permalinks (`#example-<id>`) and the
 * reader's stored edits are keyed by (src/client/examples.ts), so that they survive text added or
 * removed above an example, which moves its line.
 *
 * An example's id is its `id=` fence meta when it has one (src/examples/meta.ts checks its form),
 * else a short hash of its original code. The same code twice on a page gets `-2`, `-3`, … in
 * source order. Pure TypeScript (no `node:crypto`), so the build, the verifier and the tests all
 * compute the same ids.
 */

/**
 * The `id=` form: lower-case letters, digits and hyphens, starting with a letter (so that it is
 * never read as the line number of an old share link), at most 64 characters. {@link HASH_ID}
 * is reserved for the computed ids, so that an explicit id never equals a computed one.
 */
export const EXPLICIT_ID = /^[a-z][a-z0-9-]{0,63}$/;

/** The form of a computed id: 8 hex digits, with `-2`, `-3`, … for the same code again on a page. */
export const HASH_ID = /^[0-9a-f]{8}(?:-\d+)?$/;

/** What the HTML `id` of an example is: `example-<id>` (a prefix, so that no id can equal a heading's anchor such as `finally`). */
export const ANCHOR_PREFIX = 'example-';

/**
 * A short hash of an example's code: 32-bit FNV-1a over its UTF-8 bytes, as 8 lower-case hex digits.
 * FNV-1a: http://www.isthe.com/chongo/tech/comp/fnv/ (offset basis 2166136261, prime 16777619).
 *
 * @param code the python fence's text with LF line endings (CRLF and CR are normalized here too,
 *   so that the id does not depend on how the file was saved).
 * @returns e.g. `"3f2a9c01"`; the same code always gives the same hash.
 */
export function codeHash(code: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(code.replace(/\r\n?/g, '\n'))) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** One example of a page, as {@link assignExampleIds} needs it. */
export interface IdSource {
  /** 1-based line of the python fence (for error messages). */
  line: number;
  /** The fence's text. */
  code: string;
  /** Its `id=` meta (already checked against {@link EXPLICIT_ID}), or null. */
  explicit: string | null;
}

/** A duplicate `id=` on a page, located at the second fence that uses it. */
export interface IdProblem {
  /** 1-based line of the fence whose id repeats an earlier one. */
  line: number;
  message: string;
}

/**
 * The ids of a page's examples.
 *
 * @param examples every example of one page (python fences, run or not), in source order.
 * @returns `ids[i]` for `examples[i]`, unique on the page; and one problem per `id=` that repeats
 *   an earlier one (that example then gets its computed id, so that every problem is reported at once).
 */
export function assignExampleIds(examples: readonly IdSource[]): { ids: string[]; problems: IdProblem[] } {
  const problems: IdProblem[] = [];
  const explicitAt = new Map<string, number>(); // explicit id → line of the example that has it
  const hashes = new Map<string, number>(); // hash → how many examples have it so far
  const ids = examples.map((example) => {
    if (example.explicit) {
      const earlier = explicitAt.get(example.explicit);
      if (earlier === undefined) {
        explicitAt.set(example.explicit, example.line);
        return example.explicit;
      }
      problems.push({
        line: example.line,
        message: `id=${example.explicit} is already the id of the example at line ${earlier}: ids must be unique on a page, choose another one`,
      });
    }
    // Explicit ids never have the hash form (EXPLICIT_ID, HASH_ID), so these cannot collide with them.
    const hash = codeHash(example.code);
    const n = (hashes.get(hash) ?? 0) + 1;
    hashes.set(hash, n);
    return n === 1 ? hash : `${hash}-${n}`;
  });
  return { ids, problems };
}

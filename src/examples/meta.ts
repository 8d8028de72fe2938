/**
 * Fence-meta parsing and validation: the text after the language on a code fence's opening line,
 * e.g. ```` ```python norun="needs threads" title="demo.py" ````.
 *
 * Grammar (a subset of what Expressive Code accepts, so the same meta drives both):
 *   meta   := token (whitespace token)*
 *   token  := key | key=value | {ranges}
 *   value  := bare-word | "double quoted" | 'single quoted' | {braced}
 * Quoted values may contain the other quote character; there are no escapes.
 */

import { EXPLICIT_ID, HASH_ID } from './example-id.ts';
import { type StdoutMode, startupEnvProblem } from './stdio-options.ts';

/** One parsed meta token: `key` holds `true` for a bare flag, else the unquoted value. */
export type FenceMeta = Map<string, string | true>;

/** A meta problem, with the column (1-based, within the meta text) where it starts. */
export class MetaError extends Error {
  /** 1-based column within the meta string where the bad token starts. */
  readonly column: number;

  constructor(message: string, column: number) {
    super(message);
    this.name = 'MetaError';
    this.column = column;
  }
}

const KEY = /^[A-Za-z][\w-]*/;

/**
 * Parse fence meta into an ordered map.
 *
 * @param meta the raw meta string from mdast's `code.meta` (null/undefined/empty → empty map).
 * @returns keys in source order; a bare `{1-3}` line-marker token is stored under the key `{}`.
 * @throws MetaError on an unterminated quote/brace, a token that is not a key, or a duplicate key.
 */
export function parseFenceMeta(meta: string | null | undefined): FenceMeta {
  const result: FenceMeta = new Map();
  const text = meta ?? '';
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const start = i;
    let key: string;
    let value: string | true = true;
    if (text[i] === '{') {
      key = '{}';
      const close = text.indexOf('}', i);
      if (close < 0) throw new MetaError(`unterminated "{" in fence meta`, start + 1);
      value = text.slice(i + 1, close);
      i = close + 1;
    } else {
      const match = KEY.exec(text.slice(i));
      if (!match) {
        throw new MetaError(`expected a key such as norun="reason", found ${JSON.stringify(text.slice(i).split(/\s/)[0])}`, start + 1);
      }
      key = match[0];
      i += key.length;
      if (text[i] === '=') {
        i++;
        const open = text[i];
        if (open === '"' || open === "'" || open === '{') {
          const closer = open === '{' ? '}' : open;
          const close = text.indexOf(closer, i + 1);
          if (close < 0) throw new MetaError(`unterminated ${open} in the value of "${key}"`, start + 1);
          value = text.slice(i + 1, close);
          i = close + 1;
        } else {
          let end = i;
          while (end < text.length && !/\s/.test(text[end]!)) end++;
          if (end === i) throw new MetaError(`"${key}=" has no value`, start + 1);
          value = text.slice(i, end);
          i = end;
        }
      }
    }
    if (i < text.length && !/\s/.test(text[i]!)) {
      throw new MetaError(`expected a space after the "${key}" token, found ${JSON.stringify(text[i])}`, i + 1);
    }
    if (result.has(key)) throw new MetaError(`duplicate meta key "${key}"`, start + 1);
    result.set(key, value);
  }
  return result;
}

/**
 * Keys Expressive Code understands on any fence (https://expressive-code.com/key-features/):
 * accepted and passed through untouched so authors keep titles, frames and line markers.
 */
export const PRESENTATION_KEYS: ReadonlySet<string> = new Set([
  '{}',
  'title',
  'frame',
  'mark',
  'ins',
  'del',
  'collapse',
  'wrap',
  'showLineNumbers',
  'startLineNumber',
]);

/** What a `python` fence's meta tells the verifier. */
export interface PythonMeta {
  /** Why the block is not run (required non-empty reason), or null when it runs. */
  norun: string | null;
  /** Per-run time limit in ms from `timeout=`, or null for the verifier's default. */
  timeoutMs: number | null;
  /** `nondeterministic`: run once, without the run-twice determinism check. */
  nondeterministic: boolean;
  /**
   * `[...]` in this block's output fence is a wildcard: true with the `ellipsis` flag or with
   * `nondeterministic`. When false, `[...]` is compared as the five characters it is, since
   * Python prints it too (`a = [1]; a.append(a); print(a)` prints `[1, [...]]`).
   */
  ellipsis: boolean;
  /**
   * `runtime=native`: the verifier runs the block with the machine's CPython (native.ts) instead
   * of Pyodide, for what WebAssembly cannot do; the page shows its recorded output and no Run.
   */
  runtime: 'pyodide' | 'native';
  /** `needs="…"` of a native block: what it needs that a browser lacks, shown in its note; null when absent. */
  needs: string | null;
  /**
   * `id=…`: the example's stable id on its page (share links, its permalink `#example-<id>`, the
   * reader's stored edit), instead of the hash of its code (src/examples/example-id.ts); null when absent.
   */
  id: string | null;
  /** `stdout=pipe`: run as `python3 example.py > out.txt 2>&1` (stdio-options.ts); default `terminal`. */
  stdout: StdoutMode;
  /** `env="NAME=value …"`: start-up variables of stdio-options.ts `STARTUP_VARIABLES` (empty when absent). */
  env: Readonly<Record<string, string>>;
  /**
   * `trace`: the verifier also records the block's line sequence (runner.ts `RunOptions.trace`)
   * in a `trace` fence after its output fence and checks it like the output (trace-fence.ts).
   */
  trace: boolean;
}

/** Keys of our own on a `python` fence, with what each means (shown in errors and `--list`). */
export const PYTHON_KEYS: Readonly<Record<string, string>> = {
  norun: 'norun="reason": do not run this block (for what WebAssembly cannot do: threads, subprocesses, signals)',
  timeout: 'timeout=30s (or 500ms): time limit for this block instead of the default',
  nondeterministic: 'nondeterministic: output may differ between runs; run once, and [...] in the output fence matches any text',
  ellipsis: 'ellipsis: [...] in the output fence matches any text (the block still runs twice); without it [...] is literal',
  runtime:
    "runtime=native: run with the machine's CPython (python3 or --python) under a terminal, for threads, fork, signals and subprocesses; the output fence records python=3.N",
  needs: 'needs="threads": with runtime=native, what the block needs that a browser lacks, shown on the page',
  stdout:
    'stdout=pipe: run as python3 example.py > out.txt 2>&1 (stdout block-buffered, stderr line-buffered, isatty() False); default: a terminal',
  env: 'env="PYTHONUNBUFFERED=1": start-up environment variables CPython reads, applied as CPython applies them (only PYTHONUNBUFFERED)',
  trace: 'trace: record the lines run, in order, in a trace fence after the output fence, and check them like the output',
  id: 'id=cleanup-order: a stable id for share links and the permalink #example-<id> (a-z, 0-9, -; unique on the page); default: a hash of the code',
};

/**
 * Parse a duration: `500ms`, `2s`, `1.5s` or a bare number of ms.
 * @returns milliseconds (a positive finite number).
 * @throws MetaError for anything else.
 */
export function parseDuration(text: string, key: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new MetaError(`${key}="${text}" is not a duration: write e.g. ${key}=500ms or ${key}=30s`, 1);
  }
  return value;
}

/**
 * Validate a `python` fence's meta.
 *
 * @returns the verifier's view of the meta.
 * @throws MetaError for an unknown key, a `norun` without a reason, an `id` not of the form {@link EXPLICIT_ID} (or of the computed {@link HASH_ID} form), a `runtime` other than `native` (or with `norun`), a `needs` without `runtime=native`, a `stdout` other than `pipe`, a bad `env` ({@link parseEnvMeta}), `stdout`/`env` with `norun`, `trace` with a value, with `norun` or with `runtime=native`, or a parse error.
 */
export function readPythonMeta(meta: string | null | undefined): PythonMeta {
  const parsed = parseFenceMeta(meta);
  for (const [key, value] of parsed) {
    if (PRESENTATION_KEYS.has(key)) continue;
    if (key === 'norun') {
      if (value === true || value.trim() === '') {
        throw new MetaError('norun needs a reason, e.g. norun="threads cannot start in WebAssembly"', 1);
      }
      continue;
    }
    if (key === 'timeout') {
      if (value === true) throw new MetaError('timeout needs a value, e.g. timeout=30s', 1);
      parseDuration(value, key);
      continue;
    }
    if (key === 'runtime') {
      if (value !== 'native')
        throw new MetaError(`runtime takes only the value native (runtime=native); without it the block runs in Pyodide`, 1);
      if (parsed.has('norun')) throw new MetaError('a block is either norun or runtime=native: remove one of them', 1);
      continue;
    }
    if (key === 'needs') {
      if (value === true || value.trim() === '') throw new MetaError('needs takes what the block needs, e.g. needs="threads"', 1);
      if (parsed.get('runtime') !== 'native')
        throw new MetaError('needs="…" belongs to a runtime=native block: add runtime=native or remove it', 1);
      continue;
    }
    if (key === 'stdout') {
      if (value !== 'pipe') throw new MetaError('stdout takes only the value pipe (stdout=pipe); without it stdout is a terminal', 1);
      if (parsed.has('norun')) throw new MetaError('a norun block does not run: remove stdout=pipe or norun', 1);
      continue;
    }
    if (key === 'env') {
      if (value === true) throw new MetaError('env needs variables, e.g. env="PYTHONUNBUFFERED=1"', 1);
      if (parsed.has('norun')) throw new MetaError('a norun block does not run: remove env or norun', 1);
      parseEnvMeta(value);
      continue;
    }
    if (key === 'id') {
      if (value === true || value === '') throw new MetaError('id needs a value, e.g. id=cleanup-order', 1);
      if (!EXPLICIT_ID.test(value) || HASH_ID.test(value)) {
        throw new MetaError(
          `id=${JSON.stringify(value)} is not a valid id: use lower-case letters, digits and hyphens, starting with a letter, at most 64 characters, and not 8 hex digits (the form of computed ids), e.g. id=cleanup-order`,
          1,
        );
      }
      continue;
    }
    if (key === 'trace') {
      if (value !== true) throw new MetaError('trace is a flag: write it without a value', 1);
      if (parsed.has('norun')) throw new MetaError('a norun block does not run, so it has no trace: remove trace or norun', 1);
      if (parsed.get('runtime') === 'native')
        throw new MetaError('trace records the run in Pyodide: a runtime=native block cannot have it; remove trace or runtime=native', 1);
      continue;
    }
    if (key === 'nondeterministic' || key === 'ellipsis') {
      if (value !== true) throw new MetaError(`${key} is a flag: write it without a value`, 1);
      continue;
    }
    throw new MetaError(
      `unknown python fence meta "${key}"; known keys: ${Object.keys(PYTHON_KEYS).join(', ')} ` +
        `(and Expressive Code's ${[...PRESENTATION_KEYS].filter((k) => k !== '{}').join(', ')})`,
      1,
    );
  }
  const norun = parsed.get('norun');
  const timeout = parsed.get('timeout');
  const needs = parsed.get('needs');
  const id = parsed.get('id');
  const env = parsed.get('env');
  return {
    norun: typeof norun === 'string' ? norun.trim() : null,
    timeoutMs: typeof timeout === 'string' ? parseDuration(timeout, 'timeout') : null,
    nondeterministic: parsed.has('nondeterministic'),
    ellipsis: parsed.has('nondeterministic') || parsed.has('ellipsis'),
    runtime: parsed.get('runtime') === 'native' ? 'native' : 'pyodide',
    needs: typeof needs === 'string' ? needs.trim() : null,
    id: typeof id === 'string' ? id : null,
    stdout: parsed.get('stdout') === 'pipe' ? 'pipe' : 'terminal',
    env: typeof env === 'string' ? parseEnvMeta(env) : {},
    trace: parsed.has('trace'),
  };
}

/**
 * Parse the value of `env="NAME=value …"`: space-separated assignments (a value cannot hold a
 * space: meta values have no escapes).
 * @returns the variables, in source order.
 * @throws MetaError for an empty value, a token without `=` or with an empty name, a name given
 *   twice, or a name that is not one of stdio-options.ts `STARTUP_VARIABLES` (naming the allowed ones).
 */
export function parseEnvMeta(value: string): Record<string, string> {
  const env: Record<string, string> = {};
  const tokens = value.split(/\s+/).filter((token) => token !== '');
  if (!tokens.length) throw new MetaError('env needs variables, e.g. env="PYTHONUNBUFFERED=1"', 1);
  for (const token of tokens) {
    const equals = token.indexOf('=');
    if (equals <= 0) throw new MetaError(`env: expected NAME=value, found ${JSON.stringify(token)}, e.g. env="PYTHONUNBUFFERED=1"`, 1);
    const name = token.slice(0, equals);
    if (Object.hasOwn(env, name)) throw new MetaError(`env: ${name} is given twice`, 1);
    env[name] = token.slice(equals + 1);
  }
  const problem = startupEnvProblem(env);
  if (problem) throw new MetaError(problem, 1);
  return env;
}

/**
 * Where a block's stdout goes, and the start-up environment variables a block may set: the
 * `stdout=pipe` and `env="NAME=value …"` python fence meta (meta.ts), carried to the WebAssembly
 * runner (runner.ts → runner.py) and the native one (native.ts). Isomorphic: the browser worker
 * imports it too.
 *
 * Source: `create_stdio` (Python/pylifecycle.c) and
 * https://docs.python.org/3/using/cmdline.html#environment-variables.
 */

/**
 * `terminal`: `python3 example.py` in a terminal (stdout line-buffered, `isatty()` True), the
 * default. `pipe`: `python3 example.py > out.txt 2>&1` (stdout block-buffered with
 * `io.DEFAULT_BUFFER_SIZE` bytes, stderr line-buffered as CPython 3.9+ does, `isatty()` False).
 */
export type StdoutMode = 'terminal' | 'pipe';

/**
 * The variables a block may set with `env=`, each read by CPython at start-up and applied by the
 * runners as CPython applies it; the value says what it does. Any other name is an error.
 */
export const STARTUP_VARIABLES: Readonly<Record<string, string>> = {
  PYTHONUNBUFFERED: 'non-empty: stdout and stderr unbuffered, as python3 -u (every write reaches the file at once)',
};

/**
 * Why `env` cannot be given to a block, or null when every name is one of {@link STARTUP_VARIABLES}.
 * @param env variable names and values.
 * @returns one sentence naming the first bad variable and the allowed ones.
 */
export function startupEnvProblem(env: Readonly<Record<string, string>>): string | null {
  for (const name of Object.keys(env)) {
    if (!Object.hasOwn(STARTUP_VARIABLES, name)) {
      return `env: ${name} is not a start-up variable the runner applies; allowed: ${Object.keys(STARTUP_VARIABLES).join(', ')}`;
    }
  }
  return null;
}

/**
 * True when `env` makes CPython's standard streams unbuffered: `PYTHONUNBUFFERED` set to a
 * non-empty string, as `-u` (Python/initconfig.c `config_init_buffered_stdio`).
 */
export function isUnbuffered(env: Readonly<Record<string, string>> | undefined): boolean {
  return (env?.PYTHONUNBUFFERED ?? '') !== '';
}

/** The label a reader sees on a block (and its output panel) whose stdout goes to a file. */
export const PIPE_LABEL = 'stdout redirected to a file';

/**
 * What a reader is told about how a block ran, beside its recorded output and its run panel:
 * e.g. `stdout redirected to a file; PYTHONUNBUFFERED=1`.
 * @param stdout the block's `stdout=` meta.
 * @param env its `env=` variables.
 * @returns the label, or null for a block run in a terminal with no variables (the default, unlabelled).
 */
export function stdioLabel(stdout: StdoutMode | undefined, env: Readonly<Record<string, string>> | undefined): string | null {
  const parts = stdout === 'pipe' ? [PIPE_LABEL] : [];
  for (const [name, value] of Object.entries(env ?? {})) parts.push(`${name}=${value}`);
  return parts.length ? parts.join('; ') : null;
}

/**
 * The `env=` meta's text form, as the page carries it (`data-env`) for the browser's run: one
 * `NAME=value` per space. {@link parseEnvText} reads it back.
 */
export function formatEnvText(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

/**
 * Read {@link formatEnvText}'s form back (the browser reads `data-env`).
 * @returns the variables; a token without `=` is ignored (meta.ts validated the page's).
 */
export function parseEnvText(text: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const token of (text ?? '').split(/\s+/)) {
    const equals = token.indexOf('=');
    if (equals > 0) env[token.slice(0, equals)] = token.slice(equals + 1);
  }
  return env;
}

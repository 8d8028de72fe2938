/**
 * The native runner: `runtime=native` blocks (meta.ts) run with the machine's CPython, for what
 * WebAssembly cannot do (threads, `fork`, real signals, subprocesses). A block runs as
 * `python3 example.py` runs in a terminal: in a fresh temporary folder, under a pseudo-terminal
 * (native-pty.py, run by the same interpreter, since Node has no pty), with the environment rules
 * of the WebAssembly runner and the pool's time limit, and gives the same transcript (output.ts).
 *
 * Reproducibility: the output fence records the interpreter's `major.minor` (`python=3.11`); a
 * machine whose CPython has another minor version, or none, skips such blocks with the reason
 * ({@link nativeSkipReason}). The cache key holds the full version (cache.ts `KeyOptions`).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExampleBlock } from './extract.ts';
import type { OutputChunk, Stream } from './output.ts';
import { DEFAULT_GRACE_MS, DEFAULT_TIMEOUT_MS } from './pool.ts';
import { ALTERNATE_HASH_SEED, DEFAULT_MAX_OUTPUT_BYTES } from './runner.ts';
import { type StdoutMode, startupEnvProblem } from './stdio-options.ts';
import type { BlockRun, BlockRunner } from './verify.ts';

/** The pseudo-terminal helper (see its docstring for the protocol). */
const HELPER = fileURLToPath(new URL('./native-pty.py', import.meta.url));

/** The command used when no `--python` is given. */
export const DEFAULT_PYTHON = 'python3';

/** A native CPython, as it describes itself (`sys.version_info`, `sys.version`, `sys.executable`). */
export interface NativeInterpreter {
  /** The command it was found by, as given (`python3`, `--python PATH`). */
  command: string;
  /** Absolute path of the interpreter itself (`sys.executable`: a pyenv shim resolves to the real one). */
  executable: string;
  /** `major.minor`, e.g. `3.11`: what an output fence records as `python=`. */
  minor: string;
  /** `major.minor.micro`, e.g. `3.11.7`. */
  version: string;
  /** `sys.version` (version, build date, compiler): in the cache key. */
  full: string;
}

/** The machine's native CPython, or why there is none usable (one sentence). */
export type NativeProbe = { interpreter: NativeInterpreter } | { unavailable: string };

/** What the probe asks the interpreter (in isolated mode, so no PYTHON* variable can change it). */
const PROBE = 'import json, sys; print(json.dumps([list(sys.version_info[:3]), sys.version, sys.executable, sys.platform]))';

/** How long the probe may take, in ms (a cold pyenv shim takes ≈0.1 s). */
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Ask `command` which CPython it is, by running it (`command -I -c …`) and reading
 * `sys.version_info`, `sys.version`, `sys.executable` and `sys.platform`.
 * @param command a program on PATH or a path (`--python`); default `python3`.
 * @returns the interpreter, or `{ unavailable }` saying why not: not found, not runnable, not a
 *   CPython 3 that answers (exit status, output), or not on Linux (pages say "on Linux").
 *   Never throws.
 */
export async function probeNativePython(command: string = DEFAULT_PYTHON): Promise<NativeProbe> {
  const fix = 'install CPython 3 or pass --python PATH';
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }>((resolve) => {
    const child = spawn(command, ['-I', '-c', PROBE], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Not spawn's `timeout` option: its timer outlives a spawn that fails (ENOENT) and keeps the CLI alive.
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS).unref();
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, error });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  if (result.error?.code === 'ENOENT') return { unavailable: `no native Python: "${command}" was not found; ${fix}` };
  if (result.error)
    return { unavailable: `no native Python: "${command}" cannot be run (${result.error.code ?? result.error.message}); ${fix}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    parsed = null;
  }
  const [info, full, executable, platform] = Array.isArray(parsed) ? parsed : [];
  if (result.code !== 0 || !Array.isArray(info) || info.length !== 3 || !info.every(Number.isInteger) || typeof full !== 'string') {
    const said = (result.stderr || result.stdout).trim().split('\n').at(-1) ?? '';
    return {
      unavailable: `no native Python: "${command}" did not answer as CPython 3 does (exit status ${result.code}${said ? `: ${said}` : ''}); ${fix}`,
    };
  }
  if (platform !== 'linux')
    return { unavailable: `native blocks are verified on Linux only (their note on the page says so); "${command}" runs on ${platform}` };
  const [major, minor, micro] = info as number[];
  return {
    interpreter: {
      command,
      executable: typeof executable === 'string' && executable !== '' ? executable : command,
      minor: `${major}.${minor}`,
      version: `${major}.${minor}.${micro}`,
      full,
    },
  };
}

/**
 * Why a `runtime=native` block cannot be verified here, or null when it can (and for any other block).
 * @param block the block; its output fence's `python=` is the version it was recorded with.
 * @param native the probe of this machine's CPython, or undefined when the caller verifies only
 *   with Pyodide (the dev server).
 * @returns one sentence saying what to do.
 */
export function nativeSkipReason(block: ExampleBlock, native: NativeProbe | undefined): string | null {
  if (block.meta.runtime !== 'native') return null;
  const recorded = block.output?.recorded.python;
  const needs = `runtime=native needs CPython${recorded ? ` ${recorded} (python=${recorded} in its output fence)` : ''}`;
  if (!native) return `${needs}; it is verified by npm run verify, not here`;
  if ('unavailable' in native) return `${needs}: ${native.unavailable}`;
  const { interpreter } = native;
  if (recorded && recorded !== interpreter.minor) {
    return (
      `recorded with CPython ${recorded}, and "${interpreter.command}" here is CPython ${interpreter.version}: verify it with ` +
      `--python pointing to a CPython ${recorded}, or re-record it for ${interpreter.minor} by deleting python=${recorded} from its output fence and running npm run verify -- --update`
    );
  }
  return null;
}

/**
 * The environment a native block runs with, from the verifier's own: only PATH is inherited
 * (with the interpreter's folder first, so `python3` in a subprocess is the same CPython), and
 * every other variable is set here, so two machines run a block alike. As in the WebAssembly
 * runner (runner.ts `INTERPRETER_ENV`): no colour (`PYTHON_COLORS=0`), a fixed hash seed, HOME a
 * folder of the run's own, and no PYTHON* variable of the caller (`PYTHONUNBUFFERED` would
 * unbuffer stdout). Also TERM (a terminal), TMPDIR in the run's folder, the C.UTF-8 locale and
 * TZ=UTC (Pyodide's).
 * @param inherited the verifier's environment (`process.env`).
 * @param folder the run's temporary folder (absolute).
 * @param executable the interpreter's absolute path.
 * @param hashSeed PYTHONHASHSEED: 0, or runner.ts `ALTERNATE_HASH_SEED` for the second run.
 */
export function nativeEnvironment(
  inherited: NodeJS.ProcessEnv,
  folder: string,
  executable: string,
  hashSeed: number,
): Record<string, string> {
  const path = [dirname(executable), ...(inherited.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)].join(delimiter);
  return {
    PATH: path,
    HOME: join(folder, 'home'),
    TMPDIR: join(folder, 'tmp'),
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    PYTHON_COLORS: '0',
    PYTHONHASHSEED: String(hashSeed),
  };
}

/** Options of {@link NativeRunner}. */
export interface NativeRunnerOptions {
  /** Blocks run at the same time (default 1). */
  concurrency?: number;
  /** Time from SIGINT to SIGKILL of the process group, in ms. Default pool.ts `DEFAULT_GRACE_MS`. */
  graceMs?: number;
  /** Output kept per run, in bytes; the rest is counted and dropped. Default runner.ts `DEFAULT_MAX_OUTPUT_BYTES`. */
  maxOutputBytes?: number;
}

/** Where a run's stdout goes (`--pipe` of native-pty.py) and the block's start-up variables. */
interface Stdio {
  pipe: boolean;
  env: Readonly<Record<string, string>>;
}

/** One message of native-pty.py. */
type HelperMessage = { pid: number } | { out: string } | { err: string } | { exit: number } | { error: string };

/**
 * Runs blocks with a native CPython, as {@link BlockRunner} (verify.ts) expects: each in its own
 * temporary folder (deleted after the run) as `example.py`, under a pseudo-terminal. At the time
 * limit the block's process group gets SIGINT (KeyboardInterrupt, so `finally` blocks run); a
 * group still running `graceMs` after that gets SIGKILL (exit status 137), children included.
 * Every run is fresh (`fresh` changes nothing); `alternateSeed` runs with PYTHONHASHSEED=1, and
 * object addresses differ between runs by themselves (`shiftHeap` is not needed).
 */
export class NativeRunner implements BlockRunner {
  readonly interpreter: NativeInterpreter;
  private readonly options: Required<NativeRunnerOptions>;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** @param interpreter from {@link probeNativePython}. */
  constructor(interpreter: NativeInterpreter, options: NativeRunnerOptions = {}) {
    this.interpreter = interpreter;
    this.options = {
      concurrency: Math.max(1, options.concurrency ?? 1),
      graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    };
  }

  /**
   * Run `code` (a block's source with a final newline). `stdout: 'pipe'` runs it as
   * `python3 example.py > out.txt 2>&1` (no terminal: stdout and stderr are one pipe, whose bytes
   * are all recorded as stdout); `env` adds the block's start-up variables (`env=` meta).
   * @returns the run, with `python` set to the interpreter's `major.minor`; a run that could not
   *   start or whose helper failed has `fault` set. Never rejects for the block's behaviour.
   * @throws file system errors creating the temporary folder; Error for an `env` name that is not
   *   one of stdio-options.ts `STARTUP_VARIABLES`.
   */
  async run(
    code: string,
    options: { timeoutMs?: number; alternateSeed?: boolean; stdout?: StdoutMode; env?: Readonly<Record<string, string>> } = {},
  ): Promise<BlockRun> {
    const problem = startupEnvProblem(options.env ?? {});
    if (problem) throw new Error(problem);
    if (this.running >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      const stdio = { pipe: options.stdout === 'pipe', env: options.env ?? {} };
      return await this.runOnce(code, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.alternateSeed ? ALTERNATE_HASH_SEED : 0, stdio);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async runOnce(code: string, timeoutMs: number, hashSeed: number, stdio: Stdio): Promise<BlockRun> {
    // realpath: Python prints the script's absolute path (3.9+), which is made relative below.
    const folder = await realpath(await mkdtemp(join(tmpdir(), 'native-example-')));
    try {
      await mkdir(join(folder, 'home'));
      await mkdir(join(folder, 'tmp'));
      await writeFile(join(folder, 'example.py'), code);
      return await this.spawnHelper(folder, timeoutMs, hashSeed, stdio);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  private spawnHelper(folder: string, timeoutMs: number, hashSeed: number, stdio: Stdio): Promise<BlockRun> {
    const { executable, minor } = this.interpreter;
    const started = performance.now();
    const helper = spawn(executable, ['-I', HELPER, ...(stdio.pipe ? ['--pipe'] : [])], {
      cwd: folder,
      // The block's own start-up variables come after the rules, as a shell's `NAME=value python3 …`.
      env: { ...nativeEnvironment(process.env, folder, executable, hashSeed), ...stdio.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pieces: { stream: Stream; bytes: Buffer }[] = [];
    let kept = 0;
    let truncatedBytes = 0;
    let exitStatus: number | null = null;
    let error: string | null = null;
    let helperErr = '';
    let timedOut = false;
    let killed = false;
    let group = 0;
    const timers: NodeJS.Timeout[] = [];
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-group, signal);
      } catch {
        // The group is gone already.
      }
    };
    const onMessage = (message: HelperMessage) => {
      if ('pid' in message) {
        group = message.pid;
        // setTimeout caps delays at 2^31-1 ms; no block runs that long.
        timers.push(
          setTimeout(
            () => {
              timedOut = true;
              signalGroup('SIGINT');
              // The grace period counts from the interrupt, which the kernel delivers at once.
              timers.push(
                setTimeout(() => {
                  killed = true;
                  signalGroup('SIGKILL');
                }, this.options.graceMs),
              );
            },
            Math.min(timeoutMs, 2 ** 31 - 1),
          ),
        );
      } else if ('out' in message || 'err' in message) {
        const [stream, data] = 'out' in message ? (['stdout', message.out] as const) : (['stderr', message.err] as const);
        const bytes = Buffer.from(data, 'base64');
        const room = Math.max(0, this.options.maxOutputBytes - kept);
        if (bytes.length > room) truncatedBytes += bytes.length - room;
        if (room > 0) pieces.push({ stream, bytes: bytes.subarray(0, room) });
        kept += Math.min(room, bytes.length);
      } else if ('exit' in message) exitStatus = message.exit;
      else if ('error' in message) error = message.error;
    };
    return new Promise<BlockRun>((resolve) => {
      createInterface({ input: helper.stdout }).on('line', (line) => {
        try {
          onMessage(JSON.parse(line) as HelperMessage);
        } catch {
          error ??= `it printed ${JSON.stringify(line.slice(0, 200))}`;
        }
      });
      helper.stderr.setEncoding('utf8').on('data', (d: string) => (helperErr += d));
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        if (group) signalGroup('SIGKILL');
        const durationMs = performance.now() - started;
        const fault =
          exitStatus === null
            ? `the native runner (${executable} ${HELPER}) failed: ${error ?? (helperErr.trim().split('\n').at(-1) || `exit status ${code ?? signal}`)}`
            : null;
        resolve({
          chunks: nativeChunks(pieces, `${folder}/`),
          exitStatus: exitStatus ?? 1,
          durationMs,
          execMs: durationMs,
          truncatedBytes,
          fault,
          discarded: null,
          timedOut,
          killed,
          ...(killed ? { killReason: 'delivered' as const } : {}),
          python: minor,
        });
      };
      helper.on('error', (e) => {
        error = e.message;
        // A helper that never started sends no 'close' of its own.
        if (helper.pid === undefined) finish(null, null);
      });
      helper.on('close', finish);
    });
  }
}

/**
 * Output pieces as runner chunks: consecutive pieces of one stream are joined and decoded as
 * UTF-8 (U+FFFD for invalid bytes; a character split between two reads is kept whole), and
 * `folderPrefix` (the run's folder and a slash) is removed, so that paths in the run's folder read
 * as relative: CPython 3.9+ names the script by its absolute path in tracebacks and warnings,
 * and the WebAssembly runner's tracebacks say `File "example.py"`.
 */
export function nativeChunks(pieces: readonly { stream: Stream; bytes: Uint8Array }[], folderPrefix: string): OutputChunk[] {
  const chunks: OutputChunk[] = [];
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const lastOf = { stdout: -1, stderr: -1 };
  for (const [i, piece] of pieces.entries()) lastOf[piece.stream] = i;
  for (const [i, piece] of pieces.entries()) {
    const text = decoders[piece.stream].decode(piece.bytes, { stream: i !== lastOf[piece.stream] });
    const previous = chunks.at(-1);
    if (previous?.stream === piece.stream) previous.text += text;
    else chunks.push({ stream: piece.stream, text });
  }
  return chunks.map((chunk) => ({ stream: chunk.stream, text: chunk.text.split(folderPrefix).join('') }));
}

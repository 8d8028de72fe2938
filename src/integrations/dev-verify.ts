/**
 * Live verification in `npm run dev` (dev server only; nothing of it reaches a build).
 *
 * - When a content page is saved, its examples are verified again in the background: blocks whose
 *   code and meta did not change are answered from the result cache (src/examples/cache.ts), the
 *   others run in a {@link SandboxedPool} (the runner pool in its sandbox process) that is started on first need, once per dev server, and
 *   reused. The page reload is never held up by it.
 * - Each result goes to the terminal (`file:line` and a diff, the CLI's wording) and to the
 *   browser: as a Vite HMR custom event ({@link EVENT}) and through `GET /__dev-verify/status`,
 *   which the client script (src/client/dev-verify.ts) fetches when a page loads.
 * - The client shows a badge and the diff next to each drifted, missing or failed example, with a
 *   "Re-record" button that calls `POST /__dev-verify/rerecord` (file and line): that block's
 *   output fence is rewritten from what it printed (src/examples/update.ts), and the answer comes
 *   once the file has been verified again, so the client can reload onto a clean page.
 *
 * The verification pipeline is the CLI's (src/examples/verify.ts): nothing is re-implemented here.
 */
import { readFile, readdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration, AstroIntegrationLogger } from 'astro';
import { cacheKey, DEFAULT_CACHE_DIR, ResultCache, runtimeFingerprint, startCachedPool } from '../examples/cache.ts';
import { DEFAULT_TIMEOUT_MS } from '../examples/pool.ts';
import type { SandboxedPool } from '../examples/sandbox-pool.ts';
import { failureDetails, fileLine } from '../examples/report.ts';
import { PYODIDE_VERSION } from '../examples/runner-node.ts';
import { applyOutputEdits, writeFileAtomic } from '../examples/update.ts';
import { type BlockRunner, type FileReport, type VerifyOptions, verifyFiles } from '../examples/verify.ts';

/** Name of the Vite HMR custom event that carries a {@link DevFileStatus}. */
export const EVENT = 'dev-verify:status';
/** Path prefix of the dev-only endpoints. */
export const ENDPOINT = '/__dev-verify';

/** One example that did not pass, as the browser sees it. */
export interface DevBlockStatus {
  /** 1-based line of the python fence: matches `data-example-line` on the page. */
  line: number;
  status: 'drifted' | 'missing' | 'failed';
  /** Line of the output fence, when there is one. */
  outputLine: number | null;
  /** Unified diff, recorded → actual (drifted), or first run → second run (nondeterministic). */
  diff: string | null;
  /** Why a failed block failed, in one sentence. */
  reason: string | null;
}

/** The state of one content file, sent to the browser. */
export interface DevFileStatus {
  /** Content file relative to the project root, e.g. `content/finally.mdx`. */
  file: string;
  /** `checking`: a verification is running (the last results, if any, are still in `blocks`). */
  state: 'checking' | 'done' | 'error';
  /** Increases with every result; lets the client ignore stale answers. */
  version: number;
  /** Counts of the last verification. */
  passed: number;
  skipped: number;
  /** Examples that did not pass. */
  blocks: DevBlockStatus[];
  /** Content errors (bad fence meta, orphan output fence…), `file:line: message`. */
  problems: string[];
  /** The verification itself crashed (state `error`). */
  error: string | null;
}

/** Options of {@link devVerify}. */
export interface DevVerifyOptions {
  /** Folder of the content pages, relative to the project root. Default `content`. */
  contentDir?: string;
  /** Worker threads of the dev server's pool. Default: 2, or 1 on a single core. */
  jobs?: number;
}

const CONTENT_EXTENSIONS = new Set(['.md', '.mdx']);

/** A page URL path → the slug Astro's glob loader gives a file (`finally-vs-with`, `''` for index). */
export function slugOf(contentRelative: string): string {
  const withoutExt = contentRelative.slice(0, -extname(contentRelative).length);
  const segments = withoutExt.split(/[\\/]/).map((s) =>
    s
      .toLowerCase()
      .trim()
      .replace(/\s+/g, '-')
      .replace(/[^\p{L}\p{N}_-]/gu, ''),
  );
  if (segments.at(-1) === 'index') segments.pop();
  return segments.join('/');
}

/** Serialize one file report for the browser. */
export function toStatus(report: FileReport, version: number): DevFileStatus {
  const blocks: DevBlockStatus[] = [];
  let passed = 0;
  let skipped = 0;
  for (const r of report.results) {
    if (r.status === 'passed') passed++;
    else if (r.status === 'skipped') skipped++;
    else if (r.status === 'drifted' || r.status === 'missing' || r.status === 'failed') {
      blocks.push({
        line: r.block.line,
        status: r.status,
        outputLine: r.block.output?.line ?? null,
        diff: r.diff ?? null,
        reason: r.reason ?? null,
      });
    }
  }
  return {
    file: report.file,
    state: 'done',
    version,
    passed,
    skipped,
    blocks,
    problems: report.problems.map((p) => `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}: ${p.message}`),
    error: null,
  };
}

interface FileState {
  status: DevFileStatus | null;
  /** The running verification (its loop covers changes that arrive meanwhile). */
  running: Promise<void> | null;
  /** A change arrived while running: verify again when done. */
  again: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

/** Thrown for a request the endpoints refuse (answered with 400 and the message). */
class BadRequest extends Error {}

/**
 * The dev server's verifier: per-file verification queue, result cache, lazily started pool.
 * Exported for tests; {@link devVerify} is what astro.config.mjs lists.
 */
export class DevVerifier {
  private readonly files = new Map<string, FileState>();
  private pool: Promise<SandboxedPool> | null = null;
  private setup: Promise<{ cache: ResultCache; fingerprint: string }> | null = null;
  private version = 0;
  private closed = false;

  /** Project root (absolute). */
  readonly root: string;
  /** Content folder (absolute). */
  readonly contentDir: string;
  private readonly jobs: number;
  private readonly logger: AstroIntegrationLogger;
  private readonly broadcast: (status: DevFileStatus) => void;

  /**
   * @param root project root (absolute).
   * @param contentDir content folder, absolute.
   * @param jobs pool size.
   * @param logger where terminal output goes.
   * @param broadcast sends a status to every connected browser.
   */
  constructor(root: string, contentDir: string, jobs: number, logger: AstroIntegrationLogger, broadcast: (status: DevFileStatus) => void) {
    this.root = root;
    this.contentDir = contentDir;
    this.jobs = jobs;
    this.logger = logger;
    this.broadcast = broadcast;
  }

  /** The content file (root-relative, `/`-separated) an absolute or relative path names, or null. */
  contentFile(path: string): string | null {
    const absolute = resolve(this.root, path);
    const inContent = relative(this.contentDir, absolute);
    if (inContent.startsWith('..') || isAbsolute(inContent) || !CONTENT_EXTENSIONS.has(extname(absolute))) return null;
    return relative(this.root, absolute).split(sep).join('/');
  }

  /** The content file whose page is served at URL path `pathname`, or null. */
  async fileForPath(pathname: string): Promise<string | null> {
    const wanted = decodeURIComponent(pathname)
      .replace(/^\/+|\/+$/g, '')
      .replace(/\.html$/, '')
      .toLowerCase();
    const entries = await readdir(this.contentDir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !CONTENT_EXTENSIONS.has(extname(entry.name))) continue;
      const absolute = join(entry.parentPath, entry.name);
      if (slugOf(relative(this.contentDir, absolute)) === wanted) return this.contentFile(absolute);
    }
    return null;
  }

  private state(file: string): FileState {
    let state = this.files.get(file);
    if (!state) {
      state = { status: null, running: null, again: false, timer: null };
      this.files.set(file, state);
    }
    return state;
  }

  /** The last status of `file`; starts a first verification when there is none. */
  status(file: string): DevFileStatus {
    const state = this.state(file);
    if (!state.status) void this.verify(file);
    return state.status ?? { file, state: 'checking', version: this.version, passed: 0, skipped: 0, blocks: [], problems: [], error: null };
  }

  /** Verify `file` soon (editors often write a file more than once per save). */
  schedule(file: string, delayMs = 80): void {
    const state = this.state(file);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = null;
      void this.verify(file);
    }, delayMs);
  }

  /** Forget a deleted file. */
  forget(file: string): void {
    const state = this.files.get(file);
    if (state?.timer) clearTimeout(state.timer);
    this.files.delete(file);
  }

  /**
   * Verify `file` now, or once more after the running verification when one is running.
   * @returns when the file's status reflects its content as of this call.
   */
  verify(file: string): Promise<void> {
    const state = this.state(file);
    if (state.running) {
      state.again = true;
      return state.running;
    }
    state.running = (async () => {
      try {
        do {
          state.again = false;
          await this.verifyOnce(file, state);
        } while (state.again && !this.closed);
      } finally {
        state.running = null;
      }
    })();
    return state.running;
  }

  private async verifyOnce(file: string, state: FileState): Promise<void> {
    const checking: DevFileStatus = state.status
      ? { ...state.status, state: 'checking' }
      : { file, state: 'checking', version: this.version, passed: 0, skipped: 0, blocks: [], problems: [], error: null };
    this.publish(state, checking);
    const started = performance.now();
    let report: FileReport;
    try {
      report = await this.run(file);
    } catch (error) {
      if (this.closed) return;
      const message = error instanceof Error ? error.message : String(error);
      // A file deleted meanwhile is not an error worth showing.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.forget(file);
      this.logger.error(`${file}: verification failed: ${message}`);
      this.publish(state, { ...checking, state: 'error', version: ++this.version, error: message });
      return;
    }
    const status = toStatus(report, ++this.version);
    const ran = report.results.filter((r) => r.status !== 'skipped');
    const cached = ran.filter((r) => r.cached).length;
    const timing = `${((performance.now() - started) / 1000).toFixed(1)} s${cached ? `, ${cached} of ${ran.length} from the cache` : ''}`;
    const details = failureDetails([report], 'npm run verify -- --update');
    if (details.length) this.logger.warn(`${fileLine(report)} (${timing})\n${details.join('\n\n')}`);
    else this.logger.info(`${fileLine(report)} (${timing})`);
    this.publish(state, status);
  }

  private publish(state: FileState, status: DevFileStatus): void {
    state.status = status;
    this.broadcast(status);
  }

  /** Options for verifyFiles: the shared runner and cache. */
  private async options(): Promise<VerifyOptions> {
    this.setup ??= (async () => ({
      cache: await ResultCache.open(join(this.root, DEFAULT_CACHE_DIR)),
      fingerprint: await runtimeFingerprint(PYODIDE_VERSION),
    }))();
    const { cache, fingerprint } = await this.setup;
    const runner: BlockRunner = {
      run: async (code, options) => (await this.startPool(fingerprint)).run(code, options),
    };
    return { runner, timeoutMs: DEFAULT_TIMEOUT_MS, cache: { store: cache, key: (block) => cacheKey(block, fingerprint) } };
  }

  /** The pool, started on first need (from the snapshot `npm run verify` keeps, when there is one). */
  private startPool(fingerprint: string): Promise<SandboxedPool> {
    if (this.closed) return Promise.reject(new Error('the dev server is closing'));
    this.pool ??= (async () => {
      const started = performance.now();
      this.logger.info(`loading Pyodide ${PYODIDE_VERSION} in ${this.jobs} worker(s) to verify examples…`);
      // The CLI's snapshot file: the CLI and the dev server share one.
      const pool = await startCachedPool(join(this.root, DEFAULT_CACHE_DIR), fingerprint, this.jobs);
      this.logger.info(`Pyodide ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return pool;
    })();
    this.pool.catch(() => (this.pool = null));
    return this.pool;
  }

  /** Verify one file through the pipeline; results go to the cache file too. */
  private async run(file: string): Promise<FileReport> {
    const options = await this.options();
    // Paths as the terminal shows them (`content/x.mdx` when the server runs from the project root).
    const [report] = await verifyFiles([relative(process.cwd(), join(this.root, file))], options);
    await (await this.setup!).cache.save().catch((error: Error) => this.logger.warn(`could not save the result cache: ${error.message}`));
    return relabel(report!, file);
  }

  /**
   * Re-record the output of the example at `file:line` (only that block's output fence changes),
   * then verify the file again.
   * @returns a sentence for the browser.
   * @throws BadRequest when there is nothing to re-record there.
   */
  async rerecord(file: string, line: number): Promise<string> {
    await this.files.get(file)?.running;
    const absolute = join(this.root, file);
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await readFile(absolute, 'utf8');
      const report = await this.run(file);
      // verifyFiles read the file itself: splice only into the very text its offsets refer to.
      if ((await readFile(absolute, 'utf8')) !== before) continue;
      if (report.problems.length) throw new BadRequest(`${file} has content errors; fix them first:\n${report.problems[0]!.message}`);
      const result = report.results.find((r) => r.block.line === line);
      if (!result) throw new BadRequest(`${file}:${line} is not the line of a python example (the page may be out of date: reload it)`);
      if (result.status === 'failed')
        throw new BadRequest(`${file}:${line} failed to run (${result.reason}); a failed run is never recorded`);
      if (result.status !== 'drifted' && result.status !== 'missing') {
        await this.verify(file);
        return `${file}:${line} already matches its recorded output`;
      }
      await writeFileAtomic(absolute, applyOutputEdits(before, [{ block: result.block, output: result.actual! }]));
      this.logger.info(`re-recorded the output of ${file}:${line}`);
      // The watcher sees the write too; this makes sure the answer waits for the new status.
      await this.verify(file);
      return `re-recorded the output of ${file}:${line}`;
    }
    throw new BadRequest(`${file} kept changing while it was being re-recorded; try again`);
  }

  /** Stop the pool (dev server shutdown or restart). */
  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.files.values()) if (state.timer) clearTimeout(state.timer);
    const pool = this.pool;
    this.pool = null;
    if (pool) await (await pool.catch(() => null))?.close();
  }
}

/** Reports name files as given to verifyFiles (cwd-relative); the browser gets them root-relative. */
function relabel(report: FileReport, file: string): FileReport {
  for (const r of report.results) r.block.file = file;
  for (const p of report.problems) p.file = file;
  return { ...report, file };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new BadRequest('request body too large');
  }
  return body;
}

/** The `/__dev-verify/*` middleware. */
function endpoints(verifier: DevVerifier) {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/status') {
      const given = url.searchParams.get('file');
      const file = (given && verifier.contentFile(given)) || (await verifier.fileForPath(url.searchParams.get('path') ?? ''));
      sendJson(res, 200, file ? verifier.status(file) : null);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/rerecord') {
      // A plain form post from another site cannot send JSON with this content type without CORS.
      if (!req.headers['content-type']?.startsWith('application/json')) throw new BadRequest('expected a JSON body');
      const { file, line } = JSON.parse(await readBody(req)) as { file?: unknown; line?: unknown };
      const content = typeof file === 'string' ? verifier.contentFile(file) : null;
      if (!content) throw new BadRequest(`not a content file: ${JSON.stringify(file)}`);
      if (typeof line !== 'number' || !Number.isInteger(line) || line < 1) throw new BadRequest('line must be a line number');
      sendJson(res, 200, { ok: true, message: await verifier.rerecord(content, line) });
      return;
    }
    sendJson(res, 404, { ok: false, message: `unknown dev-verify endpoint ${req.method} ${url.pathname}` });
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: Error) => {
      const known = error instanceof BadRequest || error instanceof SyntaxError;
      sendJson(res, known ? 400 : 500, { ok: false, message: error.message });
    });
  };
}

/**
 * Astro integration: live verification of examples while `astro dev` runs. Does nothing in
 * `astro build` or `astro preview` (the build verifies everything with `npm run verify`).
 */
export function devVerify(options: DevVerifyOptions = {}): AstroIntegration {
  let verifier: DevVerifier | null = null;
  let root = process.cwd();
  return {
    name: 'finally-verified:dev-verify',
    hooks: {
      'astro:config:setup': ({ command, config, injectScript }) => {
        if (command !== 'dev') return;
        root = fileURLToPath(config.root);
        // Loaded on its own (not through the bundled page script), so that an error in another client
        // module under construction cannot keep the verification results off the page.
        const client = relative(root, fileURLToPath(new URL('../client/dev-verify.ts', import.meta.url)))
          .split(sep)
          .join('/');
        injectScript('head-inline', `import(${JSON.stringify(`${config.base.replace(/\/$/, '')}/${client}`)});`);
      },
      'astro:server:setup': ({ server, logger }) => {
        const contentDir = resolve(root, options.contentDir ?? 'content');
        const jobs = options.jobs ?? Math.min(2, availableParallelism());
        const hot = server.environments.client?.hot ?? server.hot;
        const v = new DevVerifier(root, contentDir, jobs, logger, (status) => hot.send(EVENT, status));
        verifier = v;
        const onChange = (path: string) => {
          const file = v.contentFile(path);
          if (file) v.schedule(file);
        };
        server.watcher.on('change', onChange);
        server.watcher.on('add', onChange);
        server.watcher.on('unlink', (path) => {
          const file = v.contentFile(path);
          if (file) v.forget(file);
        });
        server.middlewares.use(ENDPOINT, endpoints(v));
      },
      'astro:server:done': async () => {
        await verifier?.close();
        verifier = null;
      },
    },
  };
}

/**
 * `npm run verify` — run every Python example in the content through Pyodide and compare its
 * output with the recorded output. Exit status: 0 all matched, 1 drift, failure or content
 * error, 2 bad usage. See README.md ("Verifying examples") for the authoring format.
 */
import { glob, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { cacheKey, DEFAULT_CACHE_DIR, ResultCache, runtimeFingerprint, startCachedPool } from '../src/examples/cache.ts';
import { parseDuration } from '../src/examples/meta.ts';
import { DEFAULT_PYTHON, NativeRunner, probeNativePython } from '../src/examples/native.ts';
import { DEFAULT_TIMEOUT_MS } from '../src/examples/pool.ts';
import type { SandboxedPool } from '../src/examples/sandbox-pool.ts';
import { failureDetails, fileLine, githubAnnotations, inventoryLines, jsonReport, summaryLine, totals } from '../src/examples/report.ts';
import { PYODIDE_VERSION } from '../src/examples/runner-node.ts';
import { parseShard, selectShard } from '../src/examples/shard.ts';
import { exitOnSignalsWithoutTemporaryFiles } from '../src/examples/update.ts';
import { type BlockRunner, type ContentFile, readContent, verifyFiles } from '../src/examples/verify.ts';

const USAGE = `Usage: npm run verify -- [options] [path|glob ...]

Runs the python examples of content/**/*.{md,mdx} (or of the given files, folders or globs)
and compares each output with its recorded output fence.

Options:
  --update           re-record output fences that drifted or are missing (no other byte changes)
  --list             print every example and its state (run / not run: reason) without running
  --no-cache         run every example even if an identical one passed before
  --reporter NAME    text (default), json (machine-readable, on stdout) or github (annotations)
  --jobs N           worker threads (default: number of cores)
  --timeout T        default time limit per example, e.g. 10s or 500ms (default ${DEFAULT_TIMEOUT_MS / 1000}s)
  --reverse          run the examples in reverse order (order must not matter)
  --shard K/N        verify only part K of N of the files (1 ≤ K ≤ N), balanced by block count,
                     the same split on every machine: for a CI matrix of N jobs
  --python PATH      the CPython that runs runtime=native blocks (default: ${DEFAULT_PYTHON} on PATH);
                     blocks recorded with another major.minor (python=3.N) are skipped
  -h, --help         show this help`;

const UPDATE_COMMAND = 'npm run verify -- --update';

class UsageError extends Error {}

/** Expand CLI arguments into a sorted list of content files. */
async function resolveFiles(patterns: string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns.length ? patterns : ['content']) {
    const info = await stat(pattern).catch(() => null);
    const expanded = info?.isFile() ? [pattern] : await Array.fromAsync(glob(info?.isDirectory() ? `${pattern}/**/*.{md,mdx}` : pattern));
    if (expanded.length === 0) throw new UsageError(`no content files match "${pattern}"`);
    for (const file of expanded) files.add(file);
  }
  return [...files].sort();
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        update: { type: 'boolean' },
        list: { type: 'boolean' },
        cache: { type: 'boolean', default: true },
        'no-cache': { type: 'boolean' },
        reporter: { type: 'string', default: 'text' },
        jobs: { type: 'string' },
        timeout: { type: 'string' },
        reverse: { type: 'boolean' },
        shard: { type: 'string' },
        python: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`verify: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values } = args;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let files: string[];
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const jobs = values.jobs === undefined ? availableParallelism() : Number(values.jobs);
  try {
    if (!['text', 'json', 'github'].includes(values.reporter!))
      throw new UsageError(`unknown reporter "${values.reporter}": use text, json or github`);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs takes a whole number ≥ 1, not "${values.jobs}"`);
    if (values.timeout !== undefined) timeoutMs = parseDuration(values.timeout, '--timeout');
    files = await resolveFiles(args.positionals);
    if (values.shard !== undefined) {
      let shard;
      try {
        shard = parseShard(values.shard);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      files = await selectShard(files, shard);
      process.stderr.write(`shard ${shard.index}/${shard.count}: ${files.length} file(s)\n`);
    }
  } catch (error) {
    if (!(error instanceof UsageError) && (error as Error).name !== 'MetaError') throw error;
    console.error(`verify: ${(error as Error).message}`);
    return 2;
  }

  // Native blocks run with this CPython; asked only when some block needs it (≈0.05 s).
  const needsNative = (content: ContentFile[]) => content.some((c) => c.blocks.some((b) => b.meta.runtime === 'native'));
  const probeIfNeeded = async (content: ContentFile[]) =>
    needsNative(content) ? probeNativePython(values.python ?? DEFAULT_PYTHON) : undefined;

  if (values.list) {
    const content = await readContent(files);
    for (const line of inventoryLines(content, await probeIfNeeded(content))) console.log(line);
    return content.some((c) => c.problems.length) ? 1 : 0;
  }

  const started = performance.now();
  const tty = process.stderr.isTTY;
  const useCache = !values['no-cache'];
  const fingerprint = await runtimeFingerprint(PYODIDE_VERSION);
  // A cache file or folder that cannot be used costs a warning (once per distinct line), never the run.
  const warned = new Set<string>();
  const warn = (message: string) => {
    if (warned.has(message)) return;
    warned.add(message);
    process.stderr.write(`${tty ? '\r\x1b[K' : ''}warning: ${message}\n`);
  };
  const cache = useCache ? await ResultCache.open(DEFAULT_CACHE_DIR, warn) : null;
  // Workers start only when a block has to run: a fully cached run never loads Pyodide.
  const lazy: { pool?: Promise<SandboxedPool> } = {};
  const runner: BlockRunner = {
    run(code, options) {
      lazy.pool ??= (() => {
        process.stderr.write(`Loading Pyodide ${PYODIDE_VERSION} in ${jobs} worker(s)…\n`);
        return startCachedPool(DEFAULT_CACHE_DIR, fingerprint, jobs, warn).then((pool) => {
          process.stderr.write(`Pyodide ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
          return pool;
        });
      })();
      return lazy.pool.then((pool) => pool.run(code, options));
    },
  };
  const probe = await probeIfNeeded(await readContent(files));
  const native =
    probe && 'interpreter' in probe ? { probe, runner: new NativeRunner(probe.interpreter, { concurrency: jobs }) } : probe && { probe };
  const nativeVersion = probe && 'interpreter' in probe ? probe.interpreter.full : undefined;
  const keys = new Set<string>();
  let reports;
  try {
    reports = await verifyFiles(files, {
      runner,
      update: values.update,
      reverse: values.reverse,
      timeoutMs,
      native,
      cache: cache
        ? {
            store: cache,
            key: (block) => {
              const key = cacheKey(block, fingerprint, { timeoutMs, nativeVersion });
              keys.add(key);
              return key;
            },
          }
        : undefined,
      onResult(result, done, total) {
        const where = `${result.block.file}:${result.block.line}`;
        if (tty) process.stderr.write(`\r\x1b[K[${done}/${total}] ${where}`);
        else if (result.status !== 'passed') process.stderr.write(`[${done}/${total}] ${where} ${result.status}\n`);
      },
    });
  } finally {
    if (lazy.pool) await (await lazy.pool).close();
  }
  if (tty) process.stderr.write('\r\x1b[K');
  // Prune entries of blocks that no longer exist only when every file was looked at.
  await cache?.save(args.positionals.length === 0 && values.shard === undefined ? keys : undefined);

  const t = totals(reports);
  if (values.reporter === 'json') {
    console.log(JSON.stringify(jsonReport(reports), null, 2));
    return t.failed || t.errors ? 1 : 0;
  }
  for (const report of reports) if (report.results.length || report.problems.length) console.log(fileLine(report));
  const details = failureDetails(reports, UPDATE_COMMAND);
  if (details.length) console.log('\n' + details.join('\n\n') + '\n');
  if (values.reporter === 'github') for (const line of githubAnnotations(reports)) console.log(line);
  for (const report of reports) if (report.written) console.log(`re-recorded output fences in ${report.file}`);
  const ran = reports.flatMap((r) => r.results).filter((r) => r.status !== 'skipped');
  const fromCache = ran.filter((r) => r.cached).length;
  console.log(
    `finished in ${((performance.now() - started) / 1000).toFixed(1)} s${fromCache ? ` (${fromCache} of ${ran.length} answered from the cache; --no-cache to re-run)` : ''}`,
  );
  console.log(summaryLine(t));
  return t.failed || t.errors ? 1 : 0;
}

// Ctrl-C or a kill while a file or the cache is being written: remove the temporary file, so a
// page or cache file stays whole (old or new) and no *.tmp is left, then exit 130 (SIGINT) or 143.
exitOnSignalsWithoutTemporaryFiles((signal) => process.stderr.write(`\nverify: stopped by ${signal}; no file was left half-written\n`));
process.exitCode = await main();

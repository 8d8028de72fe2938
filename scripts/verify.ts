/**
 * `npm run verify` — run every Python example in the content through Pyodide and compare its
 * output with the recorded output. Exit status: 0 all matched, 1 drift or content errors,
 * 2 bad usage. See README.md ("Verifying examples") for the authoring format.
 */
import { glob, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { failureDetails, fileLine, inventoryLines, summaryLine, totals } from '../src/examples/report.ts';
import { PYODIDE_VERSION, createNodeRunner } from '../src/examples/runner-node.ts';
import { readContent, verifyFiles } from '../src/examples/verify.ts';

const USAGE = `Usage: npm run verify -- [options] [path|glob ...]

Runs the python examples of content/**/*.{md,mdx} (or of the given files, folders or globs)
and compares each output with its recorded output fence.

Options:
  --update    re-record output fences that drifted or are missing (no other byte changes)
  --list      print every example and its state (run / not run: reason) without running
  --reverse   run the examples in reverse order (order must not matter)
  -h, --help  show this help`;

const UPDATE_COMMAND = 'npm run verify -- --update';

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

class UsageError extends Error {}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        update: { type: 'boolean' },
        list: { type: 'boolean' },
        reverse: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`verify: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  let files: string[];
  try {
    files = await resolveFiles(args.positionals);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`verify: ${error.message}`);
    return 2;
  }

  if (args.values.list) {
    const content = await readContent(files);
    for (const line of inventoryLines(content)) console.log(line);
    return content.some((c) => c.problems.length) ? 1 : 0;
  }

  const started = performance.now();
  const tty = process.stderr.isTTY;
  process.stderr.write(`Loading Pyodide ${PYODIDE_VERSION}…\n`);
  const runner = await createNodeRunner();
  process.stderr.write(`Pyodide ready in ${((performance.now() - started) / 1000).toFixed(1)} s; running examples of ${files.length} file(s)\n`);
  const reports = await verifyFiles(files, {
    runner,
    update: args.values.update,
    reverse: args.values.reverse,
    onResult(result, done, total) {
      const where = `${result.block.file}:${result.block.line}`;
      if (tty) process.stderr.write(`\r\x1b[K[${done}/${total}] ${where}`);
      else if (result.status !== 'passed') process.stderr.write(`[${done}/${total}] ${where} ${result.status}\n`);
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  for (const report of reports) console.log(fileLine(report));
  const details = failureDetails(reports, UPDATE_COMMAND);
  if (details.length) console.log('\n' + details.join('\n\n') + '\n');
  for (const report of reports) if (report.written) console.log(`re-recorded output fences in ${report.file}`);
  const t = totals(reports);
  console.log(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(summaryLine(t));
  return t.failed || t.errors ? 1 : 0;
}

process.exitCode = await main();

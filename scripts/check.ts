/**
 * `npm run check` — what a contributor runs before pushing, and CI runs on a pull request:
 *
 *   1. types:   `tsc --noEmit` (tsconfig.json; strict)
 *   2. style:   `biome ci` (formatting and lint of TS/JS/JSON, see biome.json; writes nothing)
 *   3. content: `astro sync`, which validates every page's frontmatter against the content schema
 *      (src/content.config.ts; errors name the file and the field), and the content tests
 *      (tests/unit/quizzes-exercises.test.ts: every exercise's starter fails its check, its solution passes)
 *   4. examples: `scripts/verify.ts` on the content pages this branch changed
 *
 * Changed pages: those changed since `git merge-base HEAD origin/main` (committed or not) plus
 * untracked ones; with no origin/main, the uncommitted and untracked pages. Every page is verified
 * instead when the verifier or runner changed (src/examples/, package-lock.json), when git cannot
 * tell, or with `--all`. Every step runs even when an earlier one fails; the exit status is 1 when
 * any failed.
 *
 * Usage: npm run check [-- --all] [-- --base <git ref>]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const CONTENT = /^content\/.*\.mdx?$/;
/** Changes here can change any example's output: verify every page. */
const PIPELINE = [/^src\/examples\//, /^package-lock\.json$/];

function git(...args: string[]): string[] {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter(Boolean);
}

/** Files changed on this branch (null when git cannot tell), and a sentence saying against what. */
function changedFiles(base: string | undefined): { files: string[] | null; against: string } {
  try {
    let ref = base;
    if (!ref) {
      try {
        ref = git('merge-base', 'HEAD', 'origin/main')[0];
      } catch {
        ref = undefined;
      }
    }
    const against = ref ? `changes since ${base ?? 'the merge base with origin/main'} (${ref.slice(0, 10)})` : 'uncommitted changes';
    const tracked = git('diff', '--name-only', '--diff-filter=d', ref ?? 'HEAD');
    const untracked = git('ls-files', '--others', '--exclude-standard');
    return { files: [...new Set([...tracked, ...untracked])], against };
  } catch {
    return { files: null, against: 'git could not tell what changed' };
  }
}

/** Run a Node script with this Node (24, the devDependency), output passed through. */
function step(name: string, script: string, args: string[]): boolean {
  console.log(`\n▶ ${name}`);
  const result = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(ok ? `✓ ${name}` : `✗ ${name} (exit status ${result.status ?? result.signal})`);
  return ok;
}

const { values } = parseArgs({ options: { all: { type: 'boolean' }, base: { type: 'string' } } });
const outcomes: [string, boolean][] = [];

outcomes.push(['types (tsc --noEmit)', step('types (tsc --noEmit)', 'node_modules/typescript/bin/tsc', ['--noEmit'])]);
outcomes.push([
  'format and lint (biome ci)',
  step('format and lint (biome ci)', 'node_modules/@biomejs/biome/bin/biome', [
    'ci',
    ...(process.stdout.isTTY ? [] : ['--colors=off']),
    '.',
  ]),
]);

outcomes.push(['frontmatter (astro sync)', step('frontmatter (astro sync)', 'node_modules/astro/bin/astro.mjs', ['sync'])]);
outcomes.push([
  'exercises (tests/unit/quizzes-exercises.test.ts)',
  step('exercises (tests/unit/quizzes-exercises.test.ts)', 'node_modules/vitest/vitest.mjs', [
    'run',
    '--project',
    'node',
    'tests/unit/quizzes-exercises.test.ts',
  ]),
]);

const { files, against } = values.all ? { files: null, against: '--all' } : changedFiles(values.base);
let pages: string[] | 'all';
if (files === null) pages = 'all';
else if (files.some((f) => PIPELINE.some((p) => p.test(f)))) pages = 'all';
else pages = files.filter((f) => CONTENT.test(f) && existsSync(f)).sort();

if (pages === 'all') {
  console.log(`\nVerifying every page (${files === null ? against : 'the verifier or runner changed'}).`);
  outcomes.push(['examples (all pages)', step('examples (all pages)', 'scripts/verify.ts', [])]);
} else if (pages.length === 0) {
  console.log(`\nNo content page changed (${against}): no examples to verify. \`npm run check -- --all\` verifies every page.`);
} else {
  console.log(`\nVerifying the ${pages.length} changed page(s) (${against}): ${pages.join(', ')}`);
  outcomes.push([`examples (${pages.length} changed page(s))`, step('examples (changed pages)', 'scripts/verify.ts', pages)]);
}

console.log(`\n${outcomes.map(([name, ok]) => `${ok ? '✓' : '✗'} ${name}`).join('\n')}`);
process.exitCode = outcomes.every(([, ok]) => ok) ? 0 : 1;

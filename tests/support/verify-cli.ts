/**
 * Run the verify CLI (`scripts/verify.ts`) as a child process with the Node running the tests
 * (Node 24), capturing its output. Shared by the CLI, fault, reporter and cache tests.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Absolute path of the CLI script. */
export const VERIFY_SCRIPT = fileURLToPath(new URL('../../scripts/verify.ts', import.meta.url));

/** What the CLI did: its exit status and both output streams (UTF-8). */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI with `args` in `cwd` (default: the repository root; the working directory also
 * decides where its cache folder is).
 * @throws when the process cannot be started.
 */
export function runVerify(args: readonly string[], cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VERIFY_SCRIPT, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last non-empty line of `stdout` (the summary line). */
export const lastLine = (stdout: string) => stdout.trimEnd().split('\n').at(-1);

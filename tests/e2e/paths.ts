import { fileURLToPath } from 'node:url';

/** The repository root and its build output. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const DIST = `${ROOT}/dist`;

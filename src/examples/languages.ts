/**
 * Fence languages: which code fences the verifier runs, which hold recorded outputs, and which
 * are errors because they name Python (or `output`) in a way that would otherwise be skipped in
 * silence. The rule, documented in README.md and CONTRIBUTING.md:
 *
 * - `python`, and its aliases `py` and `python3`: a runnable example (verified);
 * - `output`: a recorded output (only right after one of those);
 * - any other language that names Python, compared case-insensitively, is an error: one that
 *   starts with `py` or `ipy` or contains `python` (`Python`, `python{1}`, `pycon`, `ipython`,
 *   `pytb`, `python2`, `python-repl`, `micropython`…). Shiki, which highlights the site's code,
 *   knows no language starting with `py` other than Python itself;
 * - `output` in another case, or glued to its meta (`Output`, `output{1}`), is an error too;
 * - every other language (`sh`, `text`, `console`, `toml`…) is not Python, and never run.
 */

/** The canonical language of runnable examples (what the renderer hands to the highlighter). */
export const PYTHON_LANG = 'python';
/** Fence language of recorded outputs. */
export const OUTPUT_LANG = 'output';
/** Languages run as Python examples: `python` and its aliases (Shiki highlights `py`; `python3` is rewritten to `python`). */
export const PYTHON_LANGS: ReadonlySet<string> = new Set([PYTHON_LANG, 'py', 'python3']);

/** What a fence's language makes of it. `error` carries a one-line message saying what to write instead. */
export type LangKind = { kind: 'python' } | { kind: 'output' } | { kind: 'other' } | { kind: 'error'; message: string };

/** True for `python` and its aliases (exact, case-sensitive, as the highlighter matches them). */
export function isPythonLang(lang: string | null | undefined): boolean {
  return lang != null && PYTHON_LANGS.has(lang);
}

/** Languages of interactive sessions (prompts and echoed values), which are not programs. */
const SESSION = /^(pycon|pyrepl|ipy|ipython\d*)$|repl$|console$|session$/;

/**
 * Classify a fence's language (mdast's `code.lang`: the info string up to the first space).
 *
 * @param lang the language, or null/undefined for a fence without one (or indented code).
 * @param updateCommand the command that records outputs, quoted in the session advice
 *   (e.g. `npm run verify -- --update content/a.mdx`).
 * @returns `python`, `output`, `other`, or `error` with a message naming the fix.
 */
export function classifyLang(lang: string | null | undefined, updateCommand = 'npm run verify -- --update'): LangKind {
  if (lang == null || lang === '') return { kind: 'other' };
  if (isPythonLang(lang)) return { kind: 'python' };
  if (lang === OUTPUT_LANG) return { kind: 'output' };
  const lower = lang.toLowerCase();
  const brace = lower.indexOf('{');
  const base = brace < 0 ? lower : lower.slice(0, brace);
  const namesPython = /^i?py|python/.test(base);
  const namesOutput = base === OUTPUT_LANG;
  if (!namesPython && !namesOutput) return { kind: 'other' };
  const quoted = `fence language "${lang}"`;
  if (namesOutput)
    return { kind: 'error', message: `${quoted} is not an output fence: write \`\`\`${OUTPUT_LANG} (lower case, nothing else)` };
  if (brace >= 0 && isPythonLang(base)) {
    return {
      kind: 'error',
      message: `${quoted} is not run: put a space between the language and the meta, e.g. \`\`\`${base} ${lang.slice(brace)}`,
    };
  }
  if (isPythonLang(base))
    return { kind: 'error', message: `${quoted} is not run: fence languages are case-sensitive; write \`\`\`${base}` };
  if (SESSION.test(base)) {
    return {
      kind: 'error',
      message:
        `${quoted} (an interactive session with >>> prompts) is not verified: write the code without prompts in a \`\`\`python fence, ` +
        `print() each value the session would echo, and record the output fence under it with ${updateCommand}`,
    };
  }
  return {
    kind: 'error',
    message:
      `${quoted} names Python but is not run: write \`\`\`python (or py, python3) to run it, with norun="reason" if it cannot run here, ` +
      'or use ```text for text that is not a program (a quoted traceback or session)',
  };
}

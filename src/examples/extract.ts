/**
 * Extraction: MDX source → example blocks (a `python` fence, or an alias such as `py`, and the
 * `output` fence after it), with exact positions so that `--update` can rewrite output fences and
 * nothing else, and an inventory of every fence (see languages.ts for which languages run).
 * Parsing is mdast (remark-parse + remark-mdx + remark-frontmatter), never regular expressions.
 */
import type { Code, Parent, Root } from 'mdast';
import remarkFrontmatter from 'remark-frontmatter';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { visit } from 'unist-util-visit';
import { assignExampleIds } from './example-id.ts';
import { classifyLang, isPythonLang, OUTPUT_LANG } from './languages.ts';
import { MetaError, readPythonMeta, type PythonMeta } from './meta.ts';
import { readOutputFence, type RecordedOutput } from './output.ts';
import { parseTraceSteps, TRACE_LANG } from './trace-fence.ts';

export { OUTPUT_LANG, PYTHON_LANG } from './languages.ts';

/** A problem in a content file, located for `file:line:column` reports. */
export interface ContentProblem {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column, when known. */
  column?: number;
  message: string;
}

/** An output fence as found in the source. */
export interface OutputFence {
  /** 1-based line of the opening fence. */
  line: number;
  /** UTF-16 offsets of the whole fence (opening line through closing fence) in the source. */
  start: number;
  end: number;
  /** The transcript it records. */
  recorded: RecordedOutput;
}

/** One example: a python fence and its recorded output (null when missing). */
export interface ExampleBlock {
  /** Path of the content file, as given to {@link extractExamples}. */
  file: string;
  /** 1-based line of the python fence's opening line: the example's id is `file:line`. */
  line: number;
  /** The Python source inside the fence. */
  code: string;
  /** Raw meta text of the python fence (for cache keys), `''` when none. */
  rawMeta: string;
  meta: PythonMeta;
  output: OutputFence | null;
  /** UTF-16 offset just past the python fence's closing line: where a missing output fence goes. */
  codeEnd: number;
  /** The characters that precede the python fence on its line (indentation, `> `), repeated on every line written. */
  linePrefix: string;
  /** Its stable id on the page (`id=` meta or a hash of its code, src/examples/example-id.ts), as the page's `data-example-id`. */
  id: string;
  /** Its `trace` fence (after the output fence; trace-fence.ts), null when it has none. */
  trace: TraceFence | null;
}

/** A `trace` fence as found in the source: the recorded line sequence of a block with the `trace` meta. */
export interface TraceFence {
  /** 1-based line of the opening fence. */
  line: number;
  /** UTF-16 offsets of the whole fence in the source. */
  start: number;
  end: number;
  /** The steps it records (trace-fence.ts `parseTraceSteps`). */
  steps: string[];
}

/**
 * One code fence of a file, of any language, as `--list` shows it. `state` is `run` (a python
 * fence with its output fence), `run (no output fence yet)`, `not run: <reason>` (norun, or
 * `not run: the file has errors; fix them first`),
 * `output of line <n>` (the recorded output of the python fence at line n), `not Python: <lang>`,
 * or `error: <message>` (every problem reported at the fence's line, joined with `; `).
 */
export interface FenceEntry {
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language as written, null when it has none (or for indented code). */
  lang: string | null;
  state: string;
  /** The first non-blank line of the fence's text, for a glance at what it holds. */
  firstLine: string;
}

/** A python code node paired with the output node right after it, as the renderer and extractor see them. */
export interface ExamplePair {
  python: Code;
  output: Code | null;
  /** The `trace` fence right after the output fence (blank lines between allowed), or null. */
  trace: Code | null;
  parent: Parent;
  /** Index of `python` in `parent.children`. */
  index: number;
}

/** U+FEFF, the byte order mark some editors write at the start of a UTF-8 file. */
export const BOM = '\uFEFF';

/**
 * Parse MDX into mdast with positions.
 * Offsets are UTF-16 indices into `source` itself, also when it starts with a byte order mark:
 * micromark skips a leading U+FEFF and counts offsets from after it (micromark/lib/preprocess.js),
 * which would make every splice land one character early, so they are shifted back here.
 * Lines are unaffected; columns on line 1 stay micromark's (counted after the mark, as editors show).
 * @throws VFileMessage-like errors (with `line`/`column`) on MDX syntax errors.
 */
export function parseMdx(source: string): Root {
  const tree = unified().use(remarkParse).use(remarkFrontmatter, ['yaml', 'toml']).use(remarkMdx).parse(source);
  if (source.startsWith(BOM)) {
    const shifted = new Set<object>(); // a point object shared by two nodes is shifted once
    visit(tree, (node) => {
      for (const point of node.position ? [node.position.start, node.position.end] : []) {
        if (point.offset === undefined || shifted.has(point)) continue;
        shifted.add(point);
        point.offset += BOM.length;
      }
    });
  }
  return tree;
}

/**
 * Pair every `python` fence (or alias: `py`, `python3`) with an `output` fence that is its next
 * sibling. Works on any mdast tree (the Astro remark pipeline's too). Output fences that follow
 * no python fence are returned in `orphans`.
 */
export function pairExamples(tree: Root): { pairs: ExamplePair[]; orphans: Code[] } {
  const pairs: ExamplePair[] = [];
  const orphans: Code[] = [];
  visit(tree, 'code', (node, index, parent) => {
    if (!parent || index === undefined) return;
    if (isPythonLang(node.lang)) {
      const next = parent.children[index + 1];
      const output = next?.type === 'code' && next.lang === OUTPUT_LANG ? next : null;
      const after = output ? parent.children[index + 2] : undefined;
      const trace = after?.type === 'code' && after.lang === TRACE_LANG ? after : null;
      pairs.push({ python: node, output, trace, parent, index });
    } else if (node.lang === OUTPUT_LANG) {
      const previous = parent.children[index - 1];
      if (!(previous?.type === 'code' && isPythonLang(previous.lang))) orphans.push(node);
    } else if (node.lang === TRACE_LANG) {
      const output = parent.children[index - 1];
      const python = parent.children[index - 2];
      if (!(output?.type === 'code' && output.lang === OUTPUT_LANG && python?.type === 'code' && isPythonLang(python.lang)))
        orphans.push(node);
    }
  });
  return { pairs, orphans };
}

/**
 * What must precede each continuation line of a fence that starts at `offset`: the text before it
 * on its line, with list markers and other non-container characters turned into spaces
 * (`- ` → two spaces, `> ` kept), so that written lines stay inside the same container. A byte
 * order mark before line 1 is not part of the line (JavaScript's `\s` would keep it as indentation).
 */
export function continuationPrefix(source: string, offset: number): string {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  const from = lineStart === 0 && source.startsWith(BOM) ? BOM.length : lineStart;
  return source.slice(from, offset).replace(/[^\s>]/g, ' ');
}

/** Code fence bodies as the runner and comparison see them: LF line endings. */
function normalizeEol(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** True when a fenced code node's source ends with a closing fence (micromark runs an unclosed one to the end of its container). */
function isClosed(source: string, node: Code): boolean {
  const text = source.slice(node.position!.start.offset, node.position!.end.offset);
  const opening = /^(`{3,}|~{3,})/.exec(text);
  if (!opening) return true; // indented code: no fence to close
  const lines = text.split(/\r?\n/);
  if (lines.length < 2) return false;
  const last = lines[lines.length - 1]!.replace(/^[\s>]*/, '').trimEnd();
  return last.length >= opening[1]!.length && [...last].every((c) => c === opening[1]![0]);
}

/**
 * The valid `id=` of a python fence's meta, or null (none, or meta with errors: reported elsewhere).
 * @param meta the fence's raw meta.
 */
export function explicitId(meta: string | null | undefined): string | null {
  try {
    return readPythonMeta(meta).id;
  } catch (error) {
    if (error instanceof MetaError) return null;
    throw error;
  }
}

/**
 * Extract the example blocks of one content file.
 *
 * @param file the path used in reports (e.g. `content/finally.mdx`).
 * @param source the file's text.
 * @returns blocks in source order; every problem found (parse errors, fence languages that name
 *   Python or `output` but are not run, unknown meta, orphan or unclosed fences, output fences on
 *   not-run blocks, an `id=` used twice), sorted by line; and every fence of the file with its state, in source order
 *   (empty after an MDX syntax error). A file with problems must not be updated.
 */
export function extractExamples(
  file: string,
  source: string,
): { blocks: ExampleBlock[]; problems: ContentProblem[]; fences: FenceEntry[] } {
  const problems: ContentProblem[] = [];
  let tree: Root;
  try {
    tree = parseMdx(source);
  } catch (error) {
    const e = error as { line?: number; column?: number; reason?: string; message: string };
    const reason = e.reason ?? e.message;
    // mdast-util-mdx-jsx reports a tag left open at the end of the document with no place; its
    // position is then only in the reason ("Expected a closing tag for `<Aside>` (7:1-7:8)").
    const inReason = /\((\d+):(\d+)-\d+:\d+\)/.exec(reason);
    const line = e.line ?? (inReason ? Number(inReason[1]) : 1);
    const column = e.column ?? (inReason ? Number(inReason[2]) : undefined);
    problems.push({ file, line, column, message: `MDX syntax error: ${reason}` });
    return { blocks: [], problems, fences: [] };
  }
  const codes: Code[] = [];
  visit(tree, 'code', (node) => {
    codes.push(node);
  });
  const updateCommand = `npm run verify -- --update ${file}`;
  for (const node of codes) {
    const kind = classifyLang(node.lang, updateCommand);
    if (kind.kind === 'error') problems.push({ file, line: node.position!.start.line, message: kind.message });
  }
  const { pairs, orphans } = pairExamples(tree);
  for (const node of orphans) {
    problems.push({
      file,
      line: node.position!.start.line,
      message:
        node.lang === TRACE_LANG
          ? 'a trace fence must come right after the output fence of a python fence with the trace meta; move it under its example or delete it'
          : 'an output fence must come right after a python fence; move it under its example or delete it',
    });
  }
  // Over every pair, as the renderer does (src/integrations/remark-examples.ts), so that ids match the page's.
  const { ids, problems: idProblems } = assignExampleIds(
    pairs.map(({ python }) => ({ line: python.position!.start.line, code: python.value, explicit: explicitId(python.meta) })),
  );
  for (const problem of idProblems) problems.push({ file, ...problem });
  const blocks: ExampleBlock[] = [];
  for (const [pairIndex, { python, output, trace: traceNode }] of pairs.entries()) {
    const line = python.position!.start.line;
    const problem = (message: string, at = line, column?: number) => problems.push({ file, line: at, column, message });
    for (const node of [python, output, traceNode]) {
      if (!node) continue;
      if (!isClosed(source, node)) problem(`unclosed ${node.lang} fence: add a closing fence line`, node.position!.start.line);
    }
    let meta: PythonMeta;
    try {
      meta = readPythonMeta(python.meta);
    } catch (error) {
      if (!(error instanceof MetaError)) throw error;
      problem(error.message);
      continue;
    }
    let fence: OutputFence | null = null;
    if (output) {
      if (meta.norun !== null) {
        problem(
          'a norun block has no recorded output (nothing verifies it): delete the output fence after it',
          output.position!.start.line,
        );
        continue;
      }
      try {
        fence = {
          line: output.position!.start.line,
          start: output.position!.start.offset!,
          end: output.position!.end.offset!,
          recorded: readOutputFence(output.meta, normalizeEol(output.value)),
        };
      } catch (error) {
        if (!(error instanceof MetaError)) throw error;
        problem(error.message, output.position!.start.line);
        continue;
      }
      if (fence.recorded.python && meta.runtime !== 'native') {
        problem(
          `python=${fence.recorded.python} records the CPython of a runtime=native block, and this block runs in Pyodide: delete python=${fence.recorded.python} from its output fence`,
          output.position!.start.line,
        );
        continue;
      }
    }
    let trace: TraceFence | null = null;
    if (traceNode) {
      const at = traceNode.position!.start.line;
      if (!meta.trace) {
        problem(
          'a trace fence records the lines run by a python fence with the trace meta: add trace to the python fence, or delete the trace fence',
          at,
        );
        continue;
      }
      try {
        trace = {
          line: at,
          start: traceNode.position!.start.offset!,
          end: traceNode.position!.end.offset!,
          steps: parseTraceSteps(traceNode.value),
        };
      } catch (error) {
        problem((error as Error).message, at);
        continue;
      }
    }
    blocks.push({
      file,
      line,
      trace,
      code: normalizeEol(python.value),
      rawMeta: python.meta ?? '',
      meta,
      output: fence,
      codeEnd: python.position!.end.offset!,
      linePrefix: continuationPrefix(source, python.position!.start.offset!),
      id: ids[pairIndex]!,
    });
  }
  problems.sort((a, b) => a.line - b.line);
  return { blocks, problems, fences: fenceEntries(codes, blocks, problems) };
}

/** The `--list` state of every fence (see {@link FenceEntry}), from what extraction found. */
function fenceEntries(codes: readonly Code[], blocks: readonly ExampleBlock[], problems: readonly ContentProblem[]): FenceEntry[] {
  const byLine = new Map(blocks.map((b) => [b.line, b]));
  const outputOf = new Map(blocks.filter((b) => b.output).map((b) => [b.output!.line, b.line]));
  const traceOf = new Map(blocks.filter((b) => b.trace).map((b) => [b.trace!.line, b.line]));
  return codes.map((node) => {
    const line = node.position!.start.line;
    const lang = node.lang ?? null;
    const errors = problems.filter((p) => p.line === line).map((p) => p.message);
    const block = byLine.get(line);
    let state: string;
    if (errors.length) state = `error: ${errors.join('; ')}`;
    else if (block && block.meta.norun !== null) state = `not run: ${block.meta.norun}`;
    // verifyFiles runs no block of a file with problems (and --update does not write it).
    else if (block && problems.length) state = 'not run: the file has errors; fix them first';
    else if (block) state = block.output ? 'run' : 'run (no output fence yet)';
    else if (outputOf.has(line)) state = `output of line ${outputOf.get(line)}`;
    else if (traceOf.has(line)) state = `trace of line ${traceOf.get(line)}`;
    else if (lang === OUTPUT_LANG) state = 'output, not checked: fix the error of the python fence before it';
    else state = `not Python: ${lang ?? '(no language)'}`;
    const firstLine = node.value.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
    return { line, lang, state, firstLine };
  });
}

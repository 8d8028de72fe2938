/**
 * Renders the runnable examples of a page: a `python` fence (or `py`, `python3`: aliases, handed
 * to the highlighter as `python`) and the `output` fence after it
 * (its recorded terminal transcript, see `src/examples/output.ts`) become one container holding
 * the highlighted code and a terminal-like figure of the output.
 *
 * The HTML it produces is the contract the Run button builds on:
 *
 * ```html
 * <div class="example" data-example-line="12"          <!-- line of the python fence: the verifier's id is file:line -->
 *      id="example-3f2a9c01" data-example-id="3f2a9c01"  <!-- stable id: id= meta or a hash of the code (src/examples/example-id.ts) -->
 *      data-example-file="content/finally.mdx"           <!-- that file, relative to the project root (when known) -->
 *      data-code="print(&quot;hi&quot;)"                   <!-- the block's source as the verifier runs it (runnable examples only) -->
 *      data-ellipsis=""                                   <!-- only when [...] in its output is a wildcard (ellipsis or nondeterministic meta) -->
 *      data-stdout="pipe" data-env="PYTHONUNBUFFERED=1">  <!-- only with stdout=pipe / env= meta: how Run runs it -->
 *   <div class="expressive-code">…</div>                 <!-- the python fence, untouched, highlighted by Expressive Code -->
 *   <div class="example-controls">                       <!-- the Run button goes here -->
 *     <a class="example-button example-permalink" href="#example-3f2a9c01">Permalink<span class="sr-only"> to this example</span></a>
 *   </div>
 *   <figure class="example-output not-content" data-exit-status="1" data-stderr-lines="2-3">
 *     <figcaption>Output</figcaption>                    <!-- stdout=pipe or env=: Output <span class="example-output-mode">(stdout redirected to a file)</span> -->
 *     <pre class="example-transcript"><span class="line">stdout text</span>
 * <span class="line stderr"><span class="example-stream-label" data-pagefind-ignore="">stderr: </span>Traceback…</span></pre>
 *     <p class="example-empty">(no output)</p>           <!-- only when the transcript is empty (the pre is then empty) -->
 *     <p class="example-exit">exit status 1</p>          <!-- only when the status is not 0 -->
 *   </figure>
 * </div>
 *
 * <div class="example example-norun" data-example-line="30" id="example-…" data-example-id="…">
 *   <div class="expressive-code">…</div>
 *   <p class="example-note not-content">Not run: threads cannot start in WebAssembly</p>
 *   <div class="example-controls"><a class="example-button example-permalink" …>…</a></div>
 * </div>
 *
 * <div class="example example-native" data-example-line="40" data-code="…" data-runtime="native">  <!-- runtime=native -->
 *   <div class="expressive-code">…</div>
 *   <div class="example-controls">…</div>                <!-- Edit and Copy; the client adds no Run for data-runtime="native" -->
 *   <p class="example-note example-native-note not-content">Verified with CPython 3.11 on Linux at build time; needs threads, which cannot run in your browser</p>
 *   <figure class="example-output not-content" data-exit-status="0" data-stderr-lines="">…</figure>
 * </div>
 * ```
 *
 * `data-code` and `data-example-file` were added for the Run button (src/client/): the client reads
 * the source from there rather than from the highlighted HTML; `data-ellipsis` tells it to compare
 * as the verifier does (src/examples/compare.ts). The `id`, `data-example-id` and the permalink
 * were added for share links and stored edits, which must survive a change of line (the client
 * moves the permalink into its button group). Everything else is as it was.
 *
 * Transcript lines are `span.line`, separated by `"\n"` text nodes; a line's text is its text
 * minus any `.example-stream-label` (a visually hidden label telling screen readers the line came
 * from stderr). `data-stderr-lines` uses the fence-meta syntax (`""` when none).
 *
 * Why nodes and not HTML strings: MDX drops raw `html` nodes, and building mdast nodes with
 * `data.hName`/`data.hProperties` keeps every transcript character in a text node, escaped by the
 * serializer and never read as HTML or as an MDX `{expression}`. Why a wrapper around the
 * untouched `code` node: the hast `pre > code` that Expressive Code highlights stays as it is.
 *
 * Astro 7 renders Markdown and MDX with Sätteri by default, which runs Sätteri mdast plugins and
 * not remark plugins; so the same transform is offered as both, and {@link examples} registers the
 * one the configured `markdown.processor` runs.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { AstroIntegration } from 'astro';
import type { Code, Root, RootContent, Text } from 'mdast';
import { ANCHOR_PREFIX, assignExampleIds } from '../examples/example-id.ts';
import { explicitId, pairExamples, type ExamplePair } from '../examples/extract.ts';
import { PYTHON_LANG } from '../examples/languages.ts';
import { MetaError, readPythonMeta, type PythonMeta } from '../examples/meta.ts';
import { formatLineRanges, readOutputFence, type RecordedOutput } from '../examples/output.ts';
import { formatEnvText, stdioLabel } from '../examples/stdio-options.ts';
import { parseTraceSteps } from '../examples/trace-fence.ts';

/** An mdast node that renders to one HTML element: mdast-util-to-hast and Sätteri both read `data.hName`. */
interface ElementNode {
  type: 'exampleElement';
  data: { hName: string; hProperties: Record<string, string | number | string[]> };
  children: (ElementNode | Text)[];
}

function element(hName: string, hProperties: ElementNode['data']['hProperties'], children: (ElementNode | Text)[] = []): ElementNode {
  return { type: 'exampleElement', data: { hName, hProperties }, children };
}

function text(value: string): Text {
  return { type: 'text', value };
}

/**
 * Render a recorded transcript as the output figure.
 *
 * @param recorded the transcript read from an output fence.
 * @param label how the block ran when not in a plain terminal (stdio-options.ts `stdioLabel`, e.g.
 *   `stdout redirected to a file`), shown in the caption; null for none.
 * @returns a `figure.example-output` node (see the module comment for its HTML).
 */
export function renderOutput(recorded: RecordedOutput, label: string | null = null): ElementNode {
  const stderr = new Set(recorded.stderrLines);
  const lines: (ElementNode | Text)[] = [];
  if (recorded.text !== '') {
    recorded.text.split('\n').forEach((line, i) => {
      if (i > 0) lines.push(text('\n'));
      lines.push(
        stderr.has(i + 1)
          ? element('span', { className: ['line', 'stderr'] }, [
              // Colour and a border mark stderr for sighted readers; this label is for everyone else.
              // Kept out of search results, and out of copied text by the CSS.
              element('span', { className: ['example-stream-label'], dataPagefindIgnore: '' }, [text('stderr: ')]),
              text(line),
            ])
          : element('span', { className: ['line'] }, [text(line)]),
      );
    });
  }
  const children: ElementNode[] = [
    element(
      'figcaption',
      {},
      // Readers must know which case they see: a terminal (unlabelled) or stdout to a file.
      label ? [text('Output '), element('span', { className: ['example-output-mode'] }, [text(`(${label})`)])] : [text('Output')],
    ),
    element('pre', { className: ['example-transcript'] }, lines),
  ];
  if (recorded.text === '') children.push(element('p', { className: ['example-empty'] }, [text('(no output)')]));
  if (recorded.exitStatus !== 0) {
    children.push(element('p', { className: ['example-exit'] }, [text(`exit status ${recorded.exitStatus}`)]));
  }
  return element(
    'figure',
    {
      // `not-content` opts the panel out of Starlight's prose styles (margins, pre borders).
      className: ['example-output', 'not-content'],
      dataExitStatus: recorded.exitStatus,
      dataStderrLines: formatLineRanges(recorded.stderrLines),
    },
    children,
  );
}

/** What a native block needs when its fence has no `needs="…"` meta. */
export const DEFAULT_NATIVE_NEEDS = 'threads, processes or real signals';

/**
 * The note under a `runtime=native` block.
 * @param python `major.minor` from its output fence's `python=`, or undefined before it is recorded.
 * @param needs its `needs="…"` meta, or null for {@link DEFAULT_NATIVE_NEEDS}.
 * @returns e.g. `Verified with CPython 3.11 on Linux at build time; needs threads, which cannot run in your browser`.
 */
export function nativeNote(python: string | undefined, needs: string | null): string {
  const verified = python ? `Verified with CPython ${python} on Linux at build time` : 'Runs with CPython on Linux at build time';
  return `${verified}; needs ${needs ?? DEFAULT_NATIVE_NEEDS}, which cannot run in your browser`;
}

/**
 * Build what replaces one example: the wrapper's attributes and the nodes that follow the code in it.
 *
 * @param pair a python fence and its output fence (or null), from {@link pairExamples}.
 * @param where `file:line` of the python fence, for error messages.
 * @param file the content file's path relative to the project root, written as `data-example-file`.
 * @param id the example's stable id on its page ({@link pageExampleIds}), written as `data-example-id` and `id="example-<id>"`.
 * @returns the `div.example` wrapper, holding what follows the code (controls and figure, or the
 *   norun note); the caller makes the python code node its first child and removes the output node.
 * @throws Error (with `where`) when the python or output fence meta is invalid; `npm run verify`
 *   reports the same problems first, this only keeps a bad page from rendering silently wrong.
 */
export function renderExample(pair: ExamplePair, where: string, file: string | undefined, id: string): ElementNode {
  const line = pair.python.position?.start.line;
  const located = (error: unknown): never => {
    if (error instanceof MetaError) throw new Error(`${where}: ${error.message}`);
    throw error;
  };
  let meta: PythonMeta;
  try {
    meta = readPythonMeta(pair.python.meta);
  } catch (error) {
    throw located(error);
  }
  const { norun } = meta;
  const native = meta.runtime === 'native';
  const properties: ElementNode['data']['hProperties'] = {
    className: norun !== null ? ['example', 'example-norun'] : native ? ['example', 'example-native'] : ['example'],
  };
  if (line !== undefined) properties.dataExampleLine = line;
  properties.id = `${ANCHOR_PREFIX}${id}`;
  properties.dataExampleId = id;
  if (file) properties.dataExampleFile = file;
  if (norun !== null) {
    // A norun block has no output fence (verify rejects one), and nothing for a Run button to do.
    return element('div', properties, [
      element('p', { className: ['example-note', 'not-content'] }, [text(`Not run: ${norun}`)]),
      element('div', { className: ['example-controls', 'not-content'] }, [permalink(id)]),
    ]);
  }
  // The source exactly as the verifier runs it (extract.ts normalizes line endings the same way).
  properties.dataCode = pair.python.value.replace(/\r\n?/g, '\n');
  if (meta.ellipsis) properties.dataEllipsis = '';
  // Native: the browser cannot run it (no Run button, src/client/examples.ts); Edit and Copy stay.
  if (native) properties.dataRuntime = 'native';
  // How the browser's Run runs it (src/client/session.ts): as the verifier did.
  if (meta.stdout === 'pipe') properties.dataStdout = 'pipe';
  if (Object.keys(meta.env).length) properties.dataEnv = formatEnvText(meta.env);
  const after: ElementNode[] = [element('div', { className: ['example-controls'] }, [permalink(id)])];
  let recorded: RecordedOutput | undefined;
  if (pair.output) {
    try {
      recorded = readOutputFence(pair.output.meta, pair.output.value);
    } catch (error) {
      located(error);
    }
  }
  if (native) {
    const note = nativeNote(recorded?.python, meta.needs);
    after.push(element('p', { className: ['example-note', 'example-native-note', 'not-content'] }, [text(note)]));
  }
  if (recorded) after.push(renderOutput(recorded, stdioLabel(meta.stdout, meta.env)));
  if (recorded && pair.trace && meta.trace) {
    try {
      after.push(renderTrace(parseTraceSteps(pair.trace.value)));
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  }
  // A python fence without output yet (not recorded) renders with no figure; verify fails on it anyway.
  return element('div', properties, after);
}

/**
 * Render a recorded trace fence (trace-fence.ts) as one compact line under the output:
 * `<p class="example-note example-trace not-content">Lines run: 1 → 2 → 5 → atexit → 7</p>`.
 * @param steps the fence's steps (line numbers and the words `atexit`, `finalize`).
 */
export function renderTrace(steps: readonly string[]): ElementNode {
  return element('p', { className: ['example-note', 'example-trace', 'not-content'] }, [
    element('strong', {}, [text('Lines run:')]),
    text(` ${steps.join(' → ')}`),
  ]);
}

/**
 * The permalink of an example: a plain link to its anchor, so it works without JavaScript and is
 * reached with Tab. The client names it after the example ("Permalink to example 3").
 */
function permalink(id: string): ElementNode {
  return element('a', { className: ['example-button', 'example-permalink'], href: `#${ANCHOR_PREFIX}${id}` }, [
    text('Permalink'),
    element('span', { className: ['sr-only'] }, [text(' to this example')]),
  ]);
}

/**
 * The stable ids of a page's examples, as {@link assignExampleIds} gives them.
 * @param pairs every pair of the page, in source order ({@link pairExamples}).
 * @param file the page's path, for the error message.
 * @returns `ids[i]` for `pairs[i]`.
 * @throws Error `file:line: id=… is already the id of …` for an `id=` used twice on the page.
 */
export function pageExampleIds(pairs: readonly ExamplePair[], file: string | undefined): string[] {
  const { ids, problems } = assignExampleIds(
    pairs.map(({ python }) => ({ line: python.position?.start.line ?? 0, code: python.value, explicit: explicitId(python.meta) })),
  );
  if (problems[0]) throw new Error(`${file ?? '<unknown file>'}:${problems[0].line}: ${problems[0].message}`);
  return ids;
}

function locate(file: string | undefined, node: Code): string {
  return `${file ?? '<unknown file>'}:${node.position?.start.line ?? '?'}`;
}

/** `file` relative to the project root (the working directory), with `/` separators, as the verifier names it. */
function projectPath(file: string | undefined): string | undefined {
  if (!file) return undefined;
  const path = isAbsolute(file) ? relative(process.cwd(), file) : file;
  return path.split(sep).join('/');
}

/**
 * The transform as a remark (unified) plugin, for a `unified()` processor and for tests.
 *
 * @returns a transformer that rewrites the tree in place: each pair becomes a `div.example`
 *   whose first child is the python code node, the output code node being replaced by its figure.
 */
export function remarkExamples() {
  return (tree: Root, file?: { path?: string }): void => {
    const { pairs } = pairExamples(tree);
    const ids = pageExampleIds(pairs, file?.path);
    // Last first, so that splicing a pair does not move the indices of those before it.
    for (const [i, pair] of [...pairs.entries()].reverse()) {
      const wrapper = renderExample(pair, locate(file?.path, pair.python), projectPath(file?.path), ids[i]!);
      // `python3` is no Shiki language: every alias is highlighted as what it runs as.
      pair.python.lang = PYTHON_LANG;
      wrapper.children.unshift(pair.python as unknown as ElementNode);
      pair.parent.children.splice(pair.index, pair.trace ? 3 : pair.output ? 2 : 1, wrapper as unknown as RootContent);
    }
  };
}

/** The part of Sätteri's mdast visitor context used here (typed locally: `satteri` is not a direct dependency). */
interface SatteriContext {
  readonly fileURL: URL | undefined;
  wrapNode(node: object, parent: object): void;
  removeNode(node: object): void;
  setProperty(node: object, key: 'lang', value: string): void;
}

/**
 * The transform as a Sätteri mdast plugin (Astro 7's default Markdown/MDX processor).
 * Works on the whole tree in `before` so that pairing is done by {@link pairExamples}, the same
 * code the verifier uses; mutations go through the context, as Sätteri requires.
 */
export const satteriExamples = {
  name: 'examples',
  /** `position` makes Sätteri track source positions, needed for `data-example-line`. */
  options: { position: true },
  before(root: Readonly<Root>, ctx: SatteriContext): void {
    const file = ctx.fileURL ? decodeURIComponent(ctx.fileURL.pathname) : undefined;
    const { pairs } = pairExamples(root as Root);
    const ids = pageExampleIds(pairs, file);
    for (const [i, pair] of pairs.entries()) {
      if (pair.python.lang !== PYTHON_LANG) ctx.setProperty(pair.python, 'lang', PYTHON_LANG);
      ctx.wrapNode(pair.python, renderExample(pair, locate(file, pair.python), projectPath(file), ids[i]!));
      if (pair.output) ctx.removeNode(pair.output);
      if (pair.trace) ctx.removeNode(pair.trace);
    }
  },
};

/**
 * Astro integration that adds the examples transform to the configured Markdown processor (which
 * MDX inherits), the way Starlight and Expressive Code add theirs.
 *
 * @returns an integration to list in `astro.config.mjs`.
 * @throws Error at config time when the processor is neither `satteri()` nor `unified()`.
 */
export function examples(): AstroIntegration {
  return {
    name: 'finally-verified:examples',
    hooks: {
      'astro:config:setup': ({ config }) => {
        const processor = config.markdown.processor as { name: string; options: Record<string, unknown[]> };
        if (processor.name === 'satteri') processor.options.mdastPlugins!.push(satteriExamples);
        else if (processor.name === 'unified') processor.options.remarkPlugins!.push(remarkExamples);
        else throw new Error(`examples: unsupported markdown.processor "${processor.name}"; use satteri() or unified()`);
      },
    },
  };
}

/**
 * What the site executes, counted from the pages themselves with the verifier's own extractor
 * (src/examples/extract.ts), so the home page's statement of it (ExecutionSummary.astro) cannot
 * drift from what `npm run verify` runs: every python block runs at build, in Pyodide or, with
 * `runtime=native`, in the machine's CPython; a `norun` block does not run, and is listed with its
 * reason and the section it sits in.
 */
import type { Heading, Nodes } from 'mdast';
import { visit } from 'unist-util-visit';
import { extractExamples, parseMdx } from '../examples/extract.ts';

/** One page's source, as the content collection holds it. */
export interface PageSource {
  /** The page's address without slashes (`finally`), `''` for the home page. */
  slug: string;
  /** The page title (frontmatter). */
  title: string;
  /** The file, for messages (`content/finally.mdx`). */
  file: string;
  /** The MDX text (with or without its frontmatter). */
  source: string;
}

/** A block that is not executed. */
export interface NotRunBlock {
  slug: string;
  title: string;
  /** Text of the last heading before the block (any depth), or null when it comes before every heading. */
  heading: string | null;
  /** The `norun="…"` reason, shown to readers under the block as "Not run: …". */
  reason: string;
}

/** Counts of python blocks over every page. */
export interface ExecutionSummary {
  /** Blocks run in Pyodide at every build, each with a Run button on the page. */
  pyodide: number;
  /** `runtime=native` blocks, run in the machine's CPython at every build, without a Run button. */
  native: number;
  /** `norun` blocks, in page order and then source order. */
  notRun: NotRunBlock[];
}

/** The plain text of a node: its text and inline code, as a heading's anchor is made from. */
function plainText(node: Nodes): string {
  if ('value' in node && (node.type === 'text' || node.type === 'inlineCode')) return node.value;
  return 'children' in node ? node.children.map((child) => plainText(child as Nodes)).join('') : '';
}

/**
 * Count the python blocks of the given pages.
 * @param pages the pages, in the order the list of not-run blocks should follow.
 * @returns the counts and every `norun` block with its reason and section.
 * @throws Error naming `file:line` when a page has content errors (the verifier reports the same
 *   problems; a summary of a broken page would be wrong).
 */
export function summarizeExecution(pages: readonly PageSource[]): ExecutionSummary {
  const summary: ExecutionSummary = { pyodide: 0, native: 0, notRun: [] };
  for (const page of pages) {
    const { blocks, problems } = extractExamples(page.file, page.source);
    const first = problems[0];
    if (first) throw new Error(`${first.file}:${first.line}: ${first.message} (run npm run verify -- ${page.file})`);
    const headings: { line: number; text: string }[] = [];
    visit(parseMdx(page.source), 'heading', (node: Heading) => {
      headings.push({ line: node.position!.start.line, text: plainText(node).trim() });
    });
    for (const block of blocks) {
      if (block.meta.norun !== null) {
        const heading = headings.filter((h) => h.line < block.line).at(-1)?.text ?? null;
        summary.notRun.push({ slug: page.slug, title: page.title, heading, reason: block.meta.norun });
      } else if (block.meta.runtime === 'native') summary.native++;
      else summary.pyodide++;
    }
  }
  return summary;
}

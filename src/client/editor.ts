/**
 * The example editor: CodeMirror 6 with Python support, loaded (with this module) only when a reader
 * presses Edit. Tab indents, as in any code editor; Esc leaves the editor (the caller moves focus to
 * the Run button), so the keyboard is never trapped. Ctrl+Enter (Cmd+Enter on macOS) runs.
 *
 * Colours come from CSS classes (`tok-*`, Lezer's class highlighter) styled in runner.css for
 * Starlight's light and dark themes, so the editor follows the site's theme switch.
 */
import { indentWithTab } from '@codemirror/commands';
import { python } from '@codemirror/lang-python';
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { classHighlighter } from '@lezer/highlight';
import { minimalSetup } from 'codemirror';

/** An open editor. */
export interface EditorHandle {
  /** The editor's outer element. */
  readonly element: HTMLElement;
  /** The current text. */
  code(): string;
  focus(): void;
  destroy(): void;
}

export interface EditorOptions {
  /** Initial text. */
  code: string;
  /** Accessible name of the text area, e.g. "Python code of example 3". */
  label: string;
  /** Id of an element describing the keys (aria-describedby). */
  describedBy?: string;
  /** Ctrl/Cmd+Enter. */
  onRun(): void;
  /** Esc (when no CodeMirror panel or tooltip wants it). */
  onEscape(): void;
  /** Every change of the text. */
  onChange(code: string): void;
}

/** Create an editor; insert `handle.element` where it belongs. */
export function createEditor(options: EditorOptions): EditorHandle {
  const view = new EditorView({
    state: EditorState.create({
      doc: options.code,
      extensions: [
        minimalSetup,
        lineNumbers(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of('    '),
        EditorState.tabSize.of(4),
        python(),
        syntaxHighlighting(classHighlighter),
        // Highest precedence: the default keymap binds Mod-Enter to insertBlankLine.
        Prec.highest(
          keymap.of([
            {
              key: 'Mod-Enter',
              run: () => {
                options.onRun();
                return true;
              },
              preventDefault: true,
            },
          ]),
        ),
        keymap.of([indentWithTab]),
        EditorView.contentAttributes.of({
          'aria-label': options.label,
          ...(options.describedBy ? { 'aria-describedby': options.describedBy } : {}),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  view.dom.classList.add('example-editor-view');
  // Capture phase: before CodeMirror's own Escape handling (which would otherwise only blur
  // selection state), unless a tooltip such as bracket or search UI is open.
  view.dom.addEventListener(
    'keydown',
    (event) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      if (view.dom.querySelector('.cm-tooltip, .cm-panel')) return;
      event.preventDefault();
      event.stopPropagation();
      options.onEscape();
    },
    true,
  );
  return {
    element: view.dom,
    code: () => view.state.doc.toString(),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

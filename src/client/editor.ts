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
import { EditorState, Prec, StateEffect, StateField } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { classHighlighter } from '@lezer/highlight';
import { minimalSetup } from 'codemirror';

/** An open editor. */
export interface EditorHandle {
  /** The editor's outer element. */
  readonly element: HTMLElement;
  /** The current text. */
  code(): string;
  focus(): void;
  /**
   * Mark line `line` (1-based) as the one a traceback points at, with `error` as its tooltip; null
   * clears the mark. The mark also goes when the text changes.
   */
  markError(line: number | null, error?: string): void;
  destroy(): void;
}

/** Sets (or, with null, clears) the error mark. */
const setErrorMark = StateEffect.define<{ line: number; error: string } | null>();

/** The error mark: one line decoration, dropped on any change of the text. */
const errorMark = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    let next = transaction.docChanged ? Decoration.none : marks;
    for (const effect of transaction.effects) {
      if (!effect.is(setErrorMark)) continue;
      const value = effect.value;
      if (!value || value.line < 1 || value.line > transaction.state.doc.lines) {
        next = Decoration.none;
        continue;
      }
      const at = transaction.state.doc.line(value.line).from;
      next = Decoration.set([Decoration.line({ class: 'example-editor-error-line', attributes: { title: value.error } }).range(at)]);
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

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
        errorMark,
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
    markError: (line, error = '') => view.dispatch({ effects: setErrorMark.of(line === null ? null : { line, error }) }),
    destroy: () => view.destroy(),
  };
}

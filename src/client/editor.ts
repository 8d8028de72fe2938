/**
 * The example editor: CodeMirror 6 with Python support, loaded (with this module) only when a reader
 * presses Edit. Tab indents, as in any code editor; Esc leaves the editor (the caller moves focus to
 * the Run button), so the keyboard is never trapped. Ctrl+Enter (Cmd+Enter on macOS) runs.
 *
 * Colours match the static highlighting of the same code (Expressive Code with Starlight's Night
 * Owl themes): {@link highlighter} gives each Lezer token the class of the TextMate scope Shiki gives
 * it (`ec-tok-*`), and runner.css colours those classes with the values Expressive Code renders,
 * for Starlight's light and dark themes, on Expressive Code's own background
 * (tests/e2e/reader.test.ts compares the computed colours of both).
 */
import { indentWithTab } from '@codemirror/commands';
import { python } from '@codemirror/lang-python';
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec, StateEffect, StateField } from '@codemirror/state';
import {
  Decoration,
  type DecorationSet,
  EditorView,
  highlightActiveLine,
  keymap,
  lineNumbers,
  MatchDecorator,
  ViewPlugin,
  type ViewUpdate,
} from '@codemirror/view';
import { tagHighlighter, tags as t } from '@lezer/highlight';
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
  /**
   * Mark line `line` (1-based) as the stepper's current one (src/client/stepper.ts) and scroll it
   * into view; null clears the mark. The mark also goes when the text changes.
   */
  markStep(line: number | null): void;
  destroy(): void;
}

/**
 * Lezer's Python tags → the classes runner.css colours as Night Owl colours the TextMate scopes
 * Shiki assigns (keywords and operators alike, strings, numbers and escapes, constants, function
 * names where defined and where called, class names, comments).
 */
const highlighter = tagHighlighter([
  { tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], class: 'ec-tok-keyword' },
  {
    tag: [t.operator, t.arithmeticOperator, t.compareOperator, t.definitionOperator, t.updateOperator, t.bitwiseOperator, t.modifier],
    class: 'ec-tok-keyword',
  },
  { tag: [t.string, t.special(t.string)], class: 'ec-tok-string' },
  { tag: [t.number, t.escape], class: 'ec-tok-number' },
  { tag: [t.bool, t.null], class: 'ec-tok-constant' },
  { tag: t.function(t.definition(t.variableName)), class: 'ec-tok-defname' },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], class: 'ec-tok-call' },
  { tag: t.definition(t.className), class: 'ec-tok-classname' },
  { tag: [t.comment, t.lineComment], class: 'ec-tok-comment' },
  { tag: t.meta, class: 'ec-tok-keyword' },
]);

/**
 * Names Shiki's Python grammar scopes as built-in (`support.function.builtin`,
 * `support.type.exception`, `support.function.magic` for a called or defined `__dunder__`,
 * `variable.language.special.self`), which Lezer does not tell apart
 * from other names: marked on top of the token classes.
 */
const EXCEPTIONS =
  'BaseException|Exception|BaseExceptionGroup|ExceptionGroup|ArithmeticError|AssertionError|AttributeError|BlockingIOError|BrokenPipeError|BufferError|ChildProcessError|ConnectionError|EOFError|EnvironmentError|FileExistsError|FileNotFoundError|FloatingPointError|GeneratorExit|IOError|ImportError|IndentationError|IndexError|InterruptedError|IsADirectoryError|KeyError|KeyboardInterrupt|LookupError|MemoryError|ModuleNotFoundError|NameError|NotADirectoryError|NotImplementedError|OSError|OverflowError|PermissionError|ProcessLookupError|RecursionError|ReferenceError|RuntimeError|StopAsyncIteration|StopIteration|SyntaxError|SystemError|SystemExit|TabError|TimeoutError|TypeError|UnboundLocalError|UnicodeDecodeError|UnicodeEncodeError|UnicodeError|ZeroDivisionError|Warning|UserWarning|DeprecationWarning|PendingDeprecationWarning|RuntimeWarning|SyntaxWarning|ResourceWarning|FutureWarning|ImportWarning|UnicodeWarning|BytesWarning|EncodingWarning';
const FUNCTIONS =
  'print|len|range|int|str|repr|type|list|dict|set|frozenset|tuple|open|isinstance|issubclass|iter|next|sorted|reversed|super|object|format|getattr|setattr|hasattr|delattr|id|min|max|sum|any|all|enumerate|zip|map|filter|abs|bool|float|bytes|bytearray|callable|vars|input|hash|round|divmod|globals|locals|compile|exec|eval|__\\w+__';
const BUILTINS = new RegExp(`\\b(?:${EXCEPTIONS})\\b|\\b(?:${FUNCTIONS})(?=\\()|\\bself\\b`, 'g');
const builtinMark = Decoration.mark({ class: 'ec-tok-builtin' });
const selfMark = Decoration.mark({ class: 'ec-tok-self' });
const builtins = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    private readonly matcher = new MatchDecorator({
      regexp: BUILTINS,
      decoration: (match) => (match[0] === 'self' ? selfMark : builtinMark),
    });
    constructor(view: EditorView) {
      this.decorations = this.matcher.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.decorations = this.matcher.updateDeco(update, this.decorations);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

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

/** Sets (or, with null, clears) the stepper's line mark. */
const setStepMark = StateEffect.define<number | null>();

/** The stepper's current line: one line decoration, dropped on any change of the text. */
const stepMark = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    let next = transaction.docChanged ? Decoration.none : marks;
    for (const effect of transaction.effects) {
      if (!effect.is(setStepMark)) continue;
      const line = effect.value;
      next =
        line === null || line < 1 || line > transaction.state.doc.lines
          ? Decoration.none
          : Decoration.set([Decoration.line({ class: 'example-editor-step-line' }).range(transaction.state.doc.line(line).from)]);
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
        stepMark,
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of('    '),
        EditorState.tabSize.of(4),
        python(),
        syntaxHighlighting(highlighter),
        builtins,
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
    markStep: (line) => {
      const valid = line !== null && line >= 1 && line <= view.state.doc.lines;
      view.dispatch({
        effects: [
          setStepMark.of(valid ? line : null),
          ...(valid ? [EditorView.scrollIntoView(view.state.doc.line(line).from, { y: 'nearest' })] : []),
        ],
      });
    },
    destroy: () => view.destroy(),
  };
}

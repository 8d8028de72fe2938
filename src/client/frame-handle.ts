/**
 * The page's handle on one runner frame (src/client/frame.ts): creates the sandboxed iframe, posts
 * to it, and passes on only the messages that come from it (`event.source` is its window, its
 * origin opaque) and that pass {@link parseFrameMessage}. Everything else is dropped and counted in
 * the iframe's `data-ignored-messages` (for tests and developer tools).
 *
 * One frame holds one worker for its whole life: killing a run removes the frame (and with it the
 * worker and anything the example left behind), and the host starts a new one.
 */
import { frameDocument } from './frame.ts';
import { type FrameMessage, type PageToFrame, parseFrameMessage } from './frame-protocol.ts';

/** How long the frame's script may take to announce itself before the frame is given up, in ms. */
export const FRAME_READY_TIMEOUT_MS = 30_000;

export class RunnerFrame {
  /** The iframe, in the document until {@link destroy}. */
  readonly element: HTMLIFrameElement;
  /**
   * Resolves once the frame's script runs, with whether it can raise KeyboardInterrupt (it has a
   * SharedArrayBuffer: the page is cross-origin isolated); rejects after {@link FRAME_READY_TIMEOUT_MS}.
   */
  readonly ready: Promise<{ interrupt: boolean }>;
  private ignored = 0;
  private readonly listener: (event: MessageEvent) => void;
  private destroyed = false;
  private readonly timer: ReturnType<typeof setTimeout>;

  /**
   * Create the frame (hidden, appended to `document.body`).
   * @param onMessage called with each checked message of the frame other than `frame-ready`.
   */
  constructor(onMessage: (message: Exclude<FrameMessage, { type: 'frame-ready' }>) => void) {
    const element = document.createElement('iframe');
    // Scripts only: no allow-same-origin (an opaque origin), no top navigation, popups, forms or modals.
    element.setAttribute('sandbox', 'allow-scripts');
    // Chromium lets a cross-origin (here: opaque) frame be cross-origin isolated only when delegated.
    element.setAttribute('allow', 'cross-origin-isolated');
    element.title = 'Python runner';
    element.hidden = true;
    element.tabIndex = -1;
    element.setAttribute('aria-hidden', 'true');
    element.className = 'example-runner-frame';
    element.dataset.ignoredMessages = '0';
    element.srcdoc = frameDocument(location.origin);
    this.element = element;
    let announce!: (value: { interrupt: boolean }) => void;
    let giveUp!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      announce = resolve;
      giveUp = reject;
    });
    // A frame removed before it started rejects nobody is waiting for: not an unhandled rejection.
    this.ready.catch(() => {});
    const timer = setTimeout(() => giveUp(new Error('the Python runner frame did not start')), FRAME_READY_TIMEOUT_MS);
    this.timer = timer;
    this.listener = (event: MessageEvent) => {
      if (this.destroyed || event.source !== element.contentWindow) return;
      const message = event.origin === 'null' ? parseFrameMessage(event.data) : null;
      if (!message) {
        element.dataset.ignoredMessages = String(++this.ignored);
        return;
      }
      if (message.type === 'frame-ready') {
        clearTimeout(timer);
        announce({ interrupt: message.interrupt });
      } else onMessage(message);
    };
    addEventListener('message', this.listener);
    document.body.append(element);
  }

  /** Post to the frame. Its origin is opaque, so the target is `'*'`: messages carry no secret. */
  post(message: PageToFrame, transfer: Transferable[] = []): void {
    if (!this.destroyed) this.element.contentWindow?.postMessage(message, '*', transfer);
  }

  /** Remove the frame: its worker stops at once, whatever it runs. Later messages are ignored. */
  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.timer);
    removeEventListener('message', this.listener);
    this.element.remove();
  }
}

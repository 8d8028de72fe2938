/**
 * parseFrameMessage (src/client/frame-protocol.ts): the page's check of what the runner frame
 * posts. Whatever code runs in the frame's worker can post anything; only the protocol's shapes
 * pass, rebuilt without extra fields, with strings bounded.
 */
import { describe, expect, test } from 'vitest';
import { MAX_CHUNK_CHARS, MAX_MESSAGE_CHARS, parseFrameMessage } from '../../src/client/frame-protocol.ts';

const result = { exitStatus: 130, durationMs: 12.5, execMs: 10, truncatedBytes: 0, fault: null, discarded: 'os._exit(3)' };

describe('accepted, rebuilt field by field', () => {
  test.each([
    { type: 'frame-ready', interrupt: true },
    { type: 'progress', stage: 'start', loaded: 10, total: 20 },
    { type: 'ready' },
    { type: 'ready', snapshot: new Uint8Array(8) },
    { type: 'chunk', id: 3, chunk: { stream: 'stderr', text: 'Traceback…\n' } },
    { type: 'done', id: 3, result },
    { type: 'error', message: 'the Python worker crashed' },
    { type: 'error', id: 4, message: 'run before init' },
  ])('%o', (message) => {
    expect(parseFrameMessage(message)).toEqual(message);
  });

  test('extra fields are dropped, at every level', () => {
    const parsed = parseFrameMessage({
      type: 'done',
      id: 1,
      extra: '<img>',
      result: { ...result, html: '<script>alert(1)</script>', chunks: [{ stream: 'stdout', text: 'x' }] },
    });
    expect(parsed).toEqual({ type: 'done', id: 1, result });
    const chunk = parseFrameMessage({ type: 'chunk', id: 1, chunk: { stream: 'stdout', text: 'a', html: '<b>' }, innerHTML: '<b>' });
    expect(chunk).toEqual({ type: 'chunk', id: 1, chunk: { stream: 'stdout', text: 'a' } });
  });

  test('long error messages, faults and discard reasons are cut', () => {
    const long = 'x'.repeat(MAX_MESSAGE_CHARS + 100);
    expect(parseFrameMessage({ type: 'error', message: long })).toEqual({ type: 'error', message: long.slice(0, MAX_MESSAGE_CHARS) });
    const parsed = parseFrameMessage({ type: 'done', id: 1, result: { ...result, fault: long } });
    expect(parsed?.type === 'done' && parsed.result.fault?.length).toBe(MAX_MESSAGE_CHARS);
  });
});

describe('rejected', () => {
  test.each([
    ['not an object', 'chunk'],
    ['null', null],
    ['an array', [{ type: 'ready' }]],
    ['an unknown type', { type: 'cache', urls: ['/evil.js'] }],
    ['frame-ready without a boolean', { type: 'frame-ready', interrupt: 'yes' }],
    ['a progress stage of another kind', { type: 'progress', stage: 'restart', loaded: 1, total: 2 }],
    ['a negative byte count', { type: 'progress', stage: 'start', loaded: -1, total: 2 }],
    ['a snapshot that is not bytes', { type: 'ready', snapshot: 'AAAA' }],
    ['a snapshot of another typed array', { type: 'ready', snapshot: new Int32Array(4) }],
    ['a chunk of an unknown stream', { type: 'chunk', id: 1, chunk: { stream: 'html', text: '<img>' } }],
    ['a chunk whose text is not a string', { type: 'chunk', id: 1, chunk: { stream: 'stdout', text: 5 } }],
    ['a chunk longer than the cap', { type: 'chunk', id: 1, chunk: { stream: 'stdout', text: 'x'.repeat(MAX_CHUNK_CHARS + 1) } }],
    ['a string id', { type: 'chunk', id: '1', chunk: { stream: 'stdout', text: 'a' } }],
    ['a fractional id', { type: 'error', id: 1.5, message: 'x' }],
    ['a negative id', { type: 'done', id: -1, result }],
    ['an exit status past 255', { type: 'done', id: 1, result: { ...result, exitStatus: 256 } }],
    ['a non-integer exit status', { type: 'done', id: 1, result: { ...result, exitStatus: 1.5 } }],
    ['an infinite duration', { type: 'done', id: 1, result: { ...result, durationMs: Number.POSITIVE_INFINITY } }],
    ['a missing fault', { type: 'done', id: 1, result: { ...result, fault: undefined } }],
    ['a fault that is not a string', { type: 'done', id: 1, result: { ...result, fault: { html: '<b>' } } }],
    ['an error without a message', { type: 'error', id: 1 }],
  ])('%s', (_, message) => {
    expect(parseFrameMessage(message)).toBeNull();
  });

  test('a message whose fields throw when read', () => {
    const hostile = Object.defineProperty({ type: 'chunk', id: 1 }, 'chunk', {
      get() {
        throw new Error('boom');
      },
      enumerable: true,
    });
    expect(parseFrameMessage(hostile)).toBeNull();
  });
});

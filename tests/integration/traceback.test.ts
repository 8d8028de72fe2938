/**
 * tracebackLine (src/client/traceback.ts), which the editor uses to mark the failing line, on
 * tracebacks printed by the real runner: a nested call, a chained exception, a SyntaxError, an
 * exception raised in `finally`, and runs with no traceback of the example.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { tracebackLine } from '../../src/client/traceback.ts';
import { createNodeRunner } from '../../src/examples/runner-node.ts';
import type { ExampleRunner } from '../../src/examples/runner.ts';

let runner: ExampleRunner;
beforeAll(async () => {
  runner = await createNodeRunner();
}, 60_000);

async function stderrOf(code: string): Promise<string> {
  const result = await runner.run(code);
  return result.chunks
    .filter((c) => c.stream === 'stderr')
    .map((c) => c.text)
    .join('');
}

describe('tracebackLine on real tracebacks', () => {
  test('points at the innermost frame of the example in a nested call', async () => {
    const stderr = await stderrOf('def inner():\n    return {}["key"]\n\ndef outer():\n    return inner()\n\nouter()\n');
    expect(tracebackLine(stderr)).toEqual({ line: 2, error: "KeyError: 'key'" });
  });

  test('points at the last traceback of a chain (an exception raised in finally)', async () => {
    const stderr = await stderrOf('try:\n    raise ValueError("first")\nfinally:\n    raise RuntimeError("second")\n');
    expect(stderr).toContain('During handling of the above exception, another exception occurred:');
    expect(tracebackLine(stderr)).toEqual({ line: 4, error: 'RuntimeError: second' });
  });

  test('points at the line of a SyntaxError', async () => {
    const stderr = await stderrOf('print("ok")\nif True\n    pass\n');
    expect(tracebackLine(stderr)).toMatchObject({ line: 2, error: expect.stringMatching(/^SyntaxError: /) });
  });

  test('points inside the example, not into the standard library', async () => {
    const stderr = await stderrOf('import json\njson.loads("{")\n');
    expect(stderr).toMatch(/File ".*json.*", line \d+/);
    expect(tracebackLine(stderr)).toMatchObject({ line: 2, error: expect.stringMatching(/^json\.decoder\.JSONDecodeError: /) });
  });

  test('is null without a traceback of the example (sys.exit with a message, output only)', async () => {
    expect(tracebackLine(await stderrOf('import sys\nsys.exit("fatal: no config")\n'))).toBeNull();
    expect(tracebackLine(await stderrOf('print("fine")\n'))).toBeNull();
  });
});

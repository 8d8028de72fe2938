/**
 * Code from a share link cannot reach the site (src/client/frame.ts): it runs in a sandboxed,
 * opaque-origin frame. The attack of the issue is run for real, from Python in the reader's
 * browser: replace the service worker's cached `/_astro/*.js` files (so that every later page runs
 * the attacker's script), read IndexedDB, localStorage and cookies, send a request with the
 * reader's cookies (with fetch, and with a synchronous XMLHttpRequest), reach the page, register a
 * service worker, post forged messages to the page. Each attempt fails, later pages are untouched,
 * and the same cache poisoning done from the site's own origin does change later pages (the
 * control: the check can fail). Stop still raises KeyboardInterrupt in the frame.
 *
 * The runner runs a block with a plain call (src/examples/runner.ts): while it runs, the worker's
 * JavaScript event loop does not turn, so no promise settles. An attacker therefore chains the
 * asynchronous steps with callbacks that JavaScript runs after the block, and records each
 * attempt's outcome on the worker's global scope, where a second Run of a short probe reads it.
 * Every attempt must be recorded, so an attack that never got to run its callbacks fails the test.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { expect, inject, test } from 'vitest';
import { editCode, readLive, run, useBrowser, waitForEnd } from './helpers.ts';

const baseURL = inject('baseURL');
const PAGE = '/finally/';
const LATER_PAGE = '/finally-vs-with/';
const SECRET = 'reader-secret-4711';

const session = useBrowser();

/** JavaScript run in the site's origin by the control test: the cache poisoning of the attack. */
async function poisonCachesFromTheSite(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let replaced = 0;
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        if (!request.url.includes('/_astro/') || !request.url.endsWith('.js')) continue;
        await cache.put(request, new Response("document.title = 'PWNED';", { headers: { 'Content-Type': 'text/javascript' } }));
        replaced++;
      }
    }
    return replaced;
  });
}

/** Every cached `/_astro/*.js` file's URL and text (what later pages run), in the site's origin. */
function cachedScripts(page: Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const scripts: Record<string, string> = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        if (request.url.includes('/_astro/') && request.url.endsWith('.js'))
          scripts[request.url] = await (await cache.match(request))!.text();
      }
    }
    return scripts;
  });
}

/**
 * A page read once under the service worker, so that its scripts are cached; with a secret in
 * localStorage, IndexedDB and a cookie.
 */
async function readerPage(context: BrowserContext): Promise<Page> {
  await context.addCookies([{ name: 'session', value: SECRET, url: baseURL }]);
  const page = await context.newPage();
  await page.goto(baseURL + PAGE);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 });
  await page.evaluate(async (secret) => {
    localStorage.setItem('secret', secret);
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open('reader-db');
      request.onupgradeneeded = () => request.result.createObjectStore('secrets').put(secret, 'secret');
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
  }, SECRET);
  // The service worker stores the scripts fetched before it took control on its own, a little later.
  await expect.poll(async () => Object.keys(await cachedScripts(page)).length, { timeout: 20_000 }).toBeGreaterThan(0);
  return page;
}

/**
 * The attack, in Python. Each attempt records `failed: <exception>` or `succeeded: <what it got>`
 * (`failed in a callback: …` when a callback, after the block, recorded it) in the JavaScript
 * object `attackReport` of the worker's global scope, which {@link PROBE} prints as JSON.
 *
 * Written against what the runner does at the end of a block, as a real attacker would be: the
 * module's globals are cleared (as at CPython's exit), so the callbacks keep what they use in
 * closures; the worker's globals are put back (isolation.ts), so the report is set again at each
 * outcome and once more from a timer; and a JavaScript promise returned to Python becomes a future
 * of the current event loop (Pyodide 314), so the attack sets a loop that runs a future's callbacks
 * at once, inside the JavaScript callback that settles the promise.
 */
const ATTACK = `import js
from pyodide.ffi import to_js

BASE = ${JSON.stringify(baseURL)}


def attack():
    import asyncio

    import js
    import pyodide_js
    from pyodide.ffi import create_proxy, to_js

    loop = asyncio.new_event_loop()
    loop.call_soon = lambda callback, *args, context=None: context.run(callback, *args) if context else callback(*args)
    asyncio.set_event_loop(loop)

    report = js.Object.new()
    in_callback = [0]

    def publish():
        js.Reflect.set(js.globalThis, "attackReport", report)

    def record(name, verdict, detail):
        where = " in a callback" if in_callback[0] else ""
        js.Reflect.set(report, name, f"{verdict}{where}: {detail}")
        publish()

    def describe(error):
        text = str(error).splitlines()[0] if str(error) else ""
        return f"{type(error).__name__}: {text}"

    def obj(value):
        return to_js(value, dict_converter=js.Object.fromEntries)

    def attempt(name, action):
        """action(succeed, fail, callback, wait): callback(f) is f as a JavaScript function;
        wait(value, then) calls then(result) once a future (a promise) is done. Any exception,
        at once or in a callback, is the attempt's failure."""

        def guarded(function, later):
            def run(*args):
                asyncio.set_event_loop(loop)
                in_callback[0] += later
                try:
                    function(*args)
                except Exception as error:
                    record(name, "failed", describe(error))
                finally:
                    in_callback[0] -= later

            return run

        def wait(value, then):
            if not isinstance(value, asyncio.Future):
                return then(value)

            def done(future):
                if future.exception() is not None:
                    raise future.exception()
                wait(future.result(), then)

            value.add_done_callback(guarded(done, True))

        def succeed(detail):
            record(name, "succeeded", detail)

        def fail(error):
            record(name, "failed", describe(error))

        def callback(function):
            return create_proxy(guarded(function, True))

        guarded(action, False)(succeed, fail, callback, wait)

    def poison_caches(succeed, fail, callback, wait):
        replaced = []

        def next_cache(names):
            if not names:
                return succeed(f"{len(replaced)} cached scripts replaced")
            wait(js.caches.open(names[0]), lambda cache: wait(cache.keys(), lambda requests: next_request(cache, list(requests), names[1:])))

        def next_request(cache, requests, names):
            if not requests:
                return next_cache(names)
            request, rest = requests[0], requests[1:]
            if "/_astro/" not in request.url or not request.url.endswith(".js"):
                return next_request(cache, rest, names)
            body = js.Response.new("document.title = 'PWNED';", obj({"headers": obj({"Content-Type": "text/javascript"})}))
            replaced.append(request.url)
            wait(cache.put(request, body), lambda _: next_request(cache, rest, names))

        wait(js.caches.keys(), lambda names: next_cache(list(names)))

    def caches_through_pyodide_js(succeed, fail, callback, wait):
        scope = pyodide_js.constructor.constructor("return globalThis")()
        wait(scope.caches.keys(), lambda names: succeed(list(names)))

    def indexed_db(succeed, fail, callback, wait):
        request = js.indexedDB.open("reader-db")

        def opened(event):
            read = request.result.transaction("secrets").objectStore("secrets").get("secret")
            read.onsuccess = callback(lambda event: succeed(read.result))
            read.onerror = callback(lambda event: fail(read.error))

        request.onsuccess = callback(opened)
        request.onerror = callback(lambda event: fail(request.error))

    def local_storage(succeed, fail, callback, wait):
        succeed(js.localStorage.getItem("secret"))

    def cookie(succeed, fail, callback, wait):
        succeed(js.document.cookie)

    def fetch_with_credentials(succeed, fail, callback, wait):
        response = js.fetch(BASE + "${PAGE}", obj({"credentials": "include"}))
        wait(response, lambda response: wait(response.text(), lambda text: succeed(text[:60])))

    def xhr_with_credentials(succeed, fail, callback, wait):
        request = js.XMLHttpRequest.new()
        request.open("GET", BASE + "${PAGE}", False)
        request.withCredentials = True
        request.send()
        succeed(f"{request.status} {request.responseText[:60]}")

    def parent_window(succeed, fail, callback, wait):
        js.parent.postMessage(obj({"type": "done"}), "*")
        succeed("posted to the page")

    def service_worker(succeed, fail, callback, wait):
        wait(js.navigator.serviceWorker.register(BASE + "/evil.js"), lambda registration: succeed(registration.scope))

    attempt("caches", poison_caches)
    attempt("caches through pyodide_js", caches_through_pyodide_js)
    attempt("indexedDB", indexed_db)
    attempt("localStorage", local_storage)
    attempt("document.cookie", cookie)
    attempt("fetch with credentials", fetch_with_credentials)
    attempt("synchronous XMLHttpRequest with credentials", xhr_with_credentials)
    attempt("parent window", parent_window)
    attempt("service worker", service_worker)
    # What the block recorded is taken back when it ends: set the report again afterwards.
    js.setTimeout(create_proxy(publish), 0)


attack()
# Forged messages: all the worker can post goes through the frame to the page, which must drop them.
for forged in [
    {"type": "chunk", "id": 1, "chunk": {"stream": "html", "text": "<img src=x onerror=alert(1)>FORGED-1"}},
    {"type": "chunk", "id": "1", "chunk": {"stream": "stdout", "text": "FORGED-2"}},
    {"type": "cache", "urls": [BASE + "/evil.js"]},
    {"type": "done", "id": -1, "result": {"exitStatus": 0}},
    {"type": "error", "id": 1.5, "message": "FORGED-3"},
    {"type": "ready", "snapshot": "not a snapshot"},
]:
    js.postMessage(to_js(forged, dict_converter=js.Object.fromEntries))
# A well-formed snapshot after code ran must not replace the real one (the restart below uses it).
js.postMessage(to_js({"type": "ready", "snapshot": js.Uint8Array.new(16)}, dict_converter=js.Object.fromEntries))
print("attack over")
`;

/** A later run in the same worker: prints the attack's report as JSON (`{}` while there is none). */
const PROBE = `import js
report = js.Reflect.get(js.globalThis, "attackReport")
print("{}" if report is None else js.JSON.stringify(report))
`;

/**
 * Each attempt, and what its failure must say: the API is missing or refused, not a bug of the
 * attack. The fetch's failure arrives as a rejected promise, so only a callback can record it.
 */
const ATTEMPTS: [string, RegExp][] = [
  ['caches', /^failed: AttributeError: .*caches/],
  ['caches through pyodide_js', /^failed: AttributeError: .*caches/],
  ['indexedDB', /^failed: .*SecurityError/],
  ['localStorage', /^failed: AttributeError: .*localStorage/],
  ['document.cookie', /^failed: AttributeError: .*document/],
  ['fetch with credentials', /^failed in a callback: .*TypeError: Failed to fetch/],
  ['synchronous XMLHttpRequest with credentials', /^failed: .*NetworkError/],
  ['parent window', /^failed: AttributeError: .*parent/],
  ['service worker', /^failed( in a callback)?: .*(AttributeError: .*serviceWorker|SecurityError)/],
];

/** Run {@link PROBE} in `example` until the report holds every attempt (callbacks may still be pending). */
async function readReport(example: Locator): Promise<Record<string, string>> {
  let report: Record<string, string> = {};
  await expect
    .poll(
      async () => {
        const probe = await run(example, 60_000);
        expect(probe.exitStatus, probe.text).toBe(0);
        report = JSON.parse(probe.text) as Record<string, string>;
        return Object.keys(report).sort();
      },
      { timeout: 60_000, interval: 1_000 },
    )
    .toEqual(ATTEMPTS.map(([name]) => name).sort());
  return report;
}

test('code from a share link cannot reach the site: cache poisoning, storage, cookies and forged messages all fail', async () => {
  const context = await session.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const author = await readerPage(context);
  const before = await cachedScripts(author);
  // The attacker makes the link as anyone would: edit an example, copy its link.
  const example = author.locator('div.example[data-code]').first();
  await editCode(author, example, ATTACK);
  await example.locator('.example-share-button').click();
  await example.locator('.example-run-status', { hasText: 'Link' }).waitFor();
  const link = await author.evaluate(() => navigator.clipboard.readText());
  await author.close();

  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(link);
  // The link opened the example's editor with the code (the only editor of the page).
  const shared = page.locator('div.example', { has: page.locator('.cm-editor') });
  // (CodeMirror draws only the lines in view: the check is on the first ones.)
  await shared.locator('.cm-content', { hasText: 'def attack():' }).waitFor();
  const live = await run(shared, 90_000);
  expect(live.text, live.note).toBe('attack over\n');
  expect(live.exitStatus).toBe(0);

  // The forged messages reached the page and were dropped: none shows, none ran.
  const frame = page.locator('iframe.example-runner-frame');
  expect(Number(await frame.getAttribute('data-ignored-messages'))).toBeGreaterThanOrEqual(6);
  expect(live.text).not.toContain('FORGED');
  expect(await page.locator('.example-run img').count()).toBe(0);
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);

  // Every attempt ran to its end, and failed for the expected reason.
  await editCode(page, shared, PROBE);
  const report = await readReport(shared);
  for (const [name, reason] of ATTEMPTS) expect(report[name], `${name}: ${JSON.stringify(report, null, 1)}`).toMatch(reason);

  // The service worker's cached scripts are as they were, and a later page runs its own scripts.
  expect(await cachedScripts(page)).toEqual(expect.objectContaining(before));
  const expected = await (await session.open(baseURL + LATER_PAGE)).title();
  const later = await context.newPage();
  await later.goto(baseURL + LATER_PAGE);
  await later.waitForLoadState('load');
  expect(await later.title()).toBe(expected);
  expect(expected).not.toBe('PWNED');
  expect(await later.evaluate(() => localStorage.getItem('secret'))).toBe(SECRET);

  // The forged snapshot was not taken: a killed run restarts from the real one.
  await editCode(
    page,
    shared,
    'while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        print("ignored")\n',
  );
  await shared.locator('.example-run-button').click();
  await shared.locator('.example-run-status', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
  await shared.locator('.example-stop-button').click();
  await waitForEnd(shared, 10_000);
  expect((await readLive(shared)).state).toBe('killed');
  await editCode(page, shared, 'print("fresh")');
  expect((await run(shared, 60_000)).text).toBe('fresh\n');
}, 240_000);

test('control: the same cache poisoning from the site’s own origin does change later pages', async () => {
  const context = await session.newContext();
  const page = await readerPage(context);
  expect(await poisonCachesFromTheSite(page)).toBeGreaterThan(0);
  const later = await context.newPage();
  await later.goto(baseURL + LATER_PAGE);
  await expect.poll(() => later.title(), { timeout: 10_000 }).toBe('PWNED');
});

test('the runner frame: sandboxed, opaque, isolated, loads nothing itself; only its own messages count; Stop raises KeyboardInterrupt', async () => {
  const context = await session.newContext();
  const fromFrame: string[] = [];
  // Requests of an opaque origin carry `Origin: null` (module scripts, fetch and workers are CORS requests).
  context.on('request', (request) => {
    if (request.headers().origin === 'null' && !request.url().startsWith('blob:')) fromFrame.push(request.url());
  });
  const page = await context.newPage();
  await page.goto(baseURL + PAGE);
  const example = page.locator('div.example[data-code]').first();
  expect((await run(example, 90_000)).verdict).toBe('match');

  const iframe = page.locator('iframe.example-runner-frame');
  expect(await iframe.count()).toBe(1);
  expect(await iframe.getAttribute('sandbox')).toBe('allow-scripts');
  const frame = page.frames().find((f) => f !== page.mainFrame() && f.url() === 'about:srcdoc');
  expect(frame).toBeDefined();
  expect(await frame!.evaluate(() => [self.origin, self.crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([
    'null',
    true,
    'function',
  ]);
  expect(fromFrame).toEqual([]);

  await editCode(page, example, 'try:\n    print("looping")\n    while True:\n        pass\nfinally:\n    print("finally ran")\n');
  await example.locator('.example-run-button').click();
  await example.locator('pre.example-run-transcript', { hasText: 'looping' }).waitFor({ timeout: 60_000 });
  // A message from anything but the frame (here the page itself) is not the runner's: ignored.
  await page.evaluate(() => {
    const result = { exitStatus: 0, durationMs: 1, execMs: 1, truncatedBytes: 0, fault: null, discarded: null };
    for (let id = 0; id < 10; id++) {
      postMessage({ type: 'chunk', id, chunk: { stream: 'stdout', text: 'FORGED\n' } }, '*');
      postMessage({ type: 'done', id, result }, '*');
    }
  });
  await page.waitForTimeout(300);
  expect(await example.locator('example-runner').getAttribute('data-state')).toBe('running');
  await example.locator('.example-stop-button').click();
  await waitForEnd(example, 10_000);
  const live = await readLive(example);
  expect(live.state).toBe('stopped');
  expect(live.exitStatus).toBe(130);
  expect(live.text).toContain('looping\nfinally ran\n');
  expect(live.text).toMatch(/KeyboardInterrupt/);
  expect(live.text).not.toContain('FORGED');
});

/**
 * Code from a share link cannot reach the site (src/client/frame.ts): it runs in a sandboxed,
 * opaque-origin frame. The attack of the issue is run for real, from Python in the reader's
 * browser: replace the service worker's cached `/_astro/*.js` files (so that every later page runs
 * the attacker's script), read IndexedDB, localStorage and cookies, send a request with the
 * reader's cookies, post forged messages to the page. Each attempt fails, later pages are
 * untouched, and the same cache poisoning done from the site's own origin does change later pages
 * (the control: the check can fail). Stop still raises KeyboardInterrupt in the frame.
 */
import type { BrowserContext, Page } from 'playwright-core';
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

/** The attack, in Python: each attempt prints `blocked <name>: <exception>` or `ESCAPED <name>: …`. */
const ATTACK = `import asyncio
import js
import pyodide_js
from pyodide.ffi import to_js

BASE = ${JSON.stringify(baseURL)}

def obj(value):
    return to_js(value, dict_converter=js.Object.fromEntries)

async def poison_caches():
    replaced = 0
    for name in await js.caches.keys():
        cache = await js.caches.open(name)
        for request in await cache.keys():
            if "/_astro/" in request.url and request.url.endswith(".js"):
                body = js.Response.new("document.title = 'PWNED';", obj({"headers": obj({"Content-Type": "text/javascript"})}))
                await cache.put(request, body)
                replaced += 1
    return f"{replaced} cached scripts replaced"

async def caches_through_pyodide_js():
    scope = pyodide_js.constructor.constructor("return globalThis")()
    return list(await scope.caches.keys())

async def indexed_db():
    request = js.indexedDB.open("reader-db")
    return f"opened {request}"

async def local_storage():
    return js.localStorage.getItem("secret")

async def cookie():
    return js.document.cookie

async def fetch_with_credentials():
    response = await js.fetch(BASE + "${PAGE}", obj({"credentials": "include"}))
    return (await response.text())[:60]

async def parent_window():
    js.parent.postMessage(obj({"type": "done"}), "*")
    return "posted to the page"

async def service_worker():
    return await js.navigator.serviceWorker.register(BASE + "/evil.js")

async def attempt(name, action):
    try:
        result = await action()
    except Exception as error:
        print(f"blocked {name}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    else:
        print(f"ESCAPED {name}: {result}")

async def main():
    await attempt("caches", poison_caches)
    await attempt("caches through pyodide_js", caches_through_pyodide_js)
    await attempt("indexedDB", indexed_db)
    await attempt("localStorage", local_storage)
    await attempt("document.cookie", cookie)
    await attempt("fetch with credentials", fetch_with_credentials)
    await attempt("parent window", parent_window)
    await attempt("service worker", service_worker)

asyncio.run(main())
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

/** Each attempt, and what its failure must say: the API is missing or refused, not a bug of the attack. */
const ATTEMPTS: [string, RegExp][] = [
  ['caches', /AttributeError: .*caches/],
  ['caches through pyodide_js', /AttributeError: .*caches/],
  ['indexedDB', /SecurityError/],
  ['localStorage', /AttributeError: .*localStorage/],
  ['document.cookie', /AttributeError: .*document/],
  ['fetch with credentials', /TypeError: Failed to fetch/],
  ['parent window', /AttributeError: .*parent/],
  ['service worker', /AttributeError: .*serviceWorker|SecurityError/],
];

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
  await shared.locator('.cm-content', { hasText: 'poison_caches' }).waitFor();
  const live = await run(shared, 90_000);
  const lines = live.text.split('\n');
  expect(live.text, live.note).toContain('attack over');
  expect(lines.filter((line) => line.startsWith('ESCAPED'))).toEqual([]);
  for (const [name, reason] of ATTEMPTS) {
    const line = lines.find((l) => l.startsWith(`blocked ${name}: `));
    expect(line, `${name}:\n${live.text}`).toMatch(reason);
  }
  expect(live.exitStatus).toBe(0);

  // The forged messages reached the page and were dropped: none shows, none ran.
  const frame = page.locator('iframe.example-runner-frame');
  expect(Number(await frame.getAttribute('data-ignored-messages'))).toBeGreaterThanOrEqual(6);
  expect(live.text).not.toContain('FORGED');
  expect(await page.locator('.example-run img').count()).toBe(0);
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);

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

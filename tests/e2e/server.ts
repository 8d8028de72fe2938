/**
 * A small static server for dist/, as a static host configured by dist/_headers would serve it:
 * cross-origin isolation headers on every response, long caching for versioned and hashed files,
 * dist/404.html for missing paths. Listens on port 0 (a free port). Counts the bytes it sends per
 * path, for the client benchmark.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.svg': 'image/svg+xml',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.pf_meta': 'application/octet-stream',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** Bytes of body sent, one entry per response, in order. */
  log: { path: string; bytes: number; status: number }[];
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Send the cross-origin isolation headers (default true). */
  isolate?: boolean;
}

/** Serve `root` (the build output) on 127.0.0.1. */
export async function serveStatic(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const log: StaticServer['log'] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith('/')) path += 'index.html';
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    let status = 200;
    let info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      res.writeHead(301, { Location: `${url.pathname}/` }).end();
      return;
    }
    if (!info) {
      status = 404;
      file = join(root, '404.html');
      info = await stat(file).catch(() => null);
    }
    if (options.isolate !== false) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    }
    const immutable = /^\/(pyodide\/[^/]+|_astro)\//.test(path);
    res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (!info) {
      log.push({ path, bytes: 0, status: 404 });
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(status, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': info.size });
    log.push({ path, bytes: req.method === 'HEAD' ? 0 : info.size, status });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

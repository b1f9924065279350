// A tiny static file server for the end-to-end test (and for trying dist/ by hand).
//
// It serves one folder under a URL prefix such as /some/folder/ and answers 404 to everything
// else, so a page that asks for /index.js instead of ./index.js fails loudly: that proves the
// site uses relative URLs and works from any folder of any static server.
//
//   node tests/e2e/serve.mjs [DIR] [PORT] [PREFIX]     e.g. node tests/e2e/serve.mjs dist 8081 /demo/
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Serves `root` at `prefix` on 127.0.0.1 (an ephemeral port unless `port` is given).
 * Resolves to { server, origin, url, requests } where `url` is the site's address and
 * `requests` lists every request as { method, path, status }.
 */
export async function serveDir(root, { prefix = '/some/folder/', port = 0, host = '127.0.0.1' } = {}) {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`prefix must start and end with /: ${prefix}`);
  const base = resolve(root);
  const requests = [];
  const server = createServer(async (req, res) => {
    const entry = { method: req.method, path: req.url, status: 0 };
    requests.push(entry);
    const send = (status, body, headers = {}) => {
      entry.status = status;
      res.writeHead(status, { 'cache-control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path === prefix.slice(0, -1)) return send(301, '', { location: prefix });
      if (!path.startsWith(prefix)) return send(404, `not found (outside ${prefix})\n`);
      let file = resolve(join(base, path.slice(prefix.length)));
      if (file !== base && !file.startsWith(base + sep)) return send(403, 'forbidden\n');
      let info = await stat(file).catch(() => null);
      if (info?.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file).catch(() => null);
      }
      if (!info?.isFile()) return send(404, 'not found\n');
      const body = await readFile(file);
      send(200, body, {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': body.length,
      });
    } catch (err) {
      send(500, `${err}\n`);
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const origin = `http://${host}:${server.address().port}`;
  return { server, origin, url: origin + prefix, requests };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dir = 'dist', port = '8081', prefix = '/some/folder/'] = process.argv.slice(2);
  const { url } = await serveDir(dir, { port: Number(port), prefix });
  console.log(`serving ${dir}/ at ${url} (Ctrl+C to stop)`);
}

// A static server for the built site (build/) on 127.0.0.1, shared by the end-to-end
// scripts: correct MIME types, index.html / .html resolution, no path escapes, and the
// same site also under a subfolder (to prove the build works from any base path).
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.wgsl': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Serves buildDir at / and at `subfolder` (e.g. '/microscope/'); resolves to { server, origin }. */
export async function serveBuild(buildDir, subfolder = '/microscope/') {
  const resolveFile = (pathname) => {
    let path = decodeURIComponent(pathname);
    if (path === subfolder.slice(0, -1)) return { redirect: subfolder };
    if (path.startsWith(subfolder)) path = '/' + path.slice(subfolder.length);
    const candidates = path.endsWith('/') ? [path + 'index.html'] : [path, path + '.html', path + '/index.html'];
    for (const c of candidates) {
      const file = normalize(join(buildDir, c));
      if (!file.startsWith(buildDir + sep) && file !== buildDir) return null;
      if (existsSync(file) && statSync(file).isFile()) return { file };
    }
    return null;
  };
  // long addresses are accepted (as some static hosts do), so the parser's own caps are what is tested
  const server = createServer({ maxHeaderSize: 4 * 2 ** 20 }, (req, res) => {
    const hit = resolveFile(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (hit?.redirect) {
      res.writeHead(301, { location: hit.redirect });
      res.end();
      return;
    }
    if (!hit) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(hit.file)] ?? 'application/octet-stream',
      'content-length': statSync(hit.file).size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(hit.file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

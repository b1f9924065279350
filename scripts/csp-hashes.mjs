// Trunk post_build hook: adds the sha256 of every inline <script> of the staged index.html
// (Trunk's module loader) to the script-src of its Content-Security-Policy, so the policy
// needs no 'unsafe-inline'. Node's own crypto; nothing is downloaded.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error('csp-hashes: TRUNK_STAGING_DIR is not set (run me as a Trunk hook)');
  process.exit(1);
}
const file = join(staging, 'index.html');
let html = readFileSync(file, 'utf8');
const hashes = [];
for (const [, attrs, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
  if (/\bsrc\s*=/.test(attrs)) continue;
  hashes.push(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
}
const meta = /(<meta http-equiv="Content-Security-Policy" content="[^"]*script-src [^;"]*)/;
if (!meta.test(html)) {
  console.error('csp-hashes: index.html has no Content-Security-Policy meta tag with a script-src');
  process.exit(1);
}
html = html.replace(meta, (directive) => [directive, ...hashes].join(' '));
writeFileSync(file, html);
console.log(`csp-hashes: ${hashes.length} inline script(s) allowed by hash`);

// End-to-end checks of embedding, sharing, persistence, lessons, the strict CSP and the error
// banner, against the release site in dist/ (make dist), in Debian's headless Chromium.
//
//   node tests/e2e/embed.mjs        (make test-e2e runs it after run.mjs)
//
// Every page records its requests (all must stay inside the served folder: an embedded page
// fetches nothing but its own files), its Content-Security-Policy violations (there must be
// none), page errors and console errors. Screenshots go to test-results/embed/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serveDir } from './serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = resolve(ROOT, process.env.KUBEGLASS_DIST ?? 'dist');
const SHOTS = join(ROOT, 'test-results', 'embed');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 60_000);
const PREFIX = '/some/folder/';

// Records every securitypolicyviolation event, from the first script on.
const CSP_PROBE = `window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__xss = false;`;

let site, browser;

/** The text after `#s=` for a scenario, as the app encodes it (JSON, raw deflate, base64url). */
function scenario(script, manifests = '') {
  const json = JSON.stringify({ ...(manifests ? { m: manifests } : {}), ...(script ? { s: script } : {}) });
  return deflateRawSync(Buffer.from(json), { level: 9 }).toString('base64url');
}

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `${DIST}/index.html is missing: run make dist first`);
  site = await serveDir(DIST, { prefix: PREFIX });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (site?.server ? site.server.close(ok) : ok()));
});

/**
 * A new browser context (its own localStorage) and page at `path` (relative to the site).
 * Returns { page, context, problems, requests }; `expectErrors` lets the panic test see its own.
 */
async function open(path, { width = 1440, height = 900, colorScheme = 'light', context = null, expectErrors = false } = {}) {
  if (!context) {
    context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, colorScheme, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.origin });
  }
  const problems = [];
  const requests = [];
  context.on('request', (req) => requests.push(req.url()));
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.addInitScript(CSP_PROBE);
  if (!expectErrors) {
    page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err}`));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(`console error: ${msg.text()}`));
  }
  page.on('response', (res) => res.status() >= 400 && problems.push(`HTTP ${res.status()} for ${res.url()}`));
  await page.goto(site.url + path);
  return { page, context, problems, requests };
}

/** No CSP violation, no error, and no request outside the site's own folder. */
async function assertClean({ page, problems, requests }) {
  const violations = await page.evaluate(() => window.__csp);
  assert.deepEqual(violations, [], 'Content-Security-Policy violations');
  assert.deepEqual(problems, [], `the page misbehaved:\n  ${problems.join('\n  ')}`);
  const outside = requests.filter((url) => !url.startsWith(site.url) && !url.startsWith('data:') && !url.startsWith('blob:'));
  assert.deepEqual(outside, [], 'requests outside the served folder');
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function run(page, command) {
  const input = page.locator('[aria-label="Console"] input').first();
  await input.fill(command);
  await input.press('Enter');
}

/** The virtual clock's `m:ss.t` or `h:mm:ss` in seconds. */
function seconds(clock) {
  return clock.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}

const diagram = (page) => page.locator('[aria-label="Cluster diagram"]');

test('the built index.html carries a strict Content-Security-Policy', async () => {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  assert.ok(csp, 'no CSP meta tag');
  const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
  assert.ok(scriptSrc.includes("'wasm-unsafe-eval'"));
  assert.ok(!/'unsafe-eval'|'unsafe-inline'/.test(scriptSrc), scriptSrc);
  const inline = [...html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>/g)].length;
  assert.equal((scriptSrc.match(/'sha256-/g) ?? []).length, inline, 'one hash per inline script');
});

test('an embed URL shows only the diagram and fetches nothing but its own files', async () => {
  const hash = scenario('kubectl create deployment web --image=nginx --replicas=3\n');
  for (const theme of ['light', 'dark']) {
    for (const width of [600, 1440]) {
      const opened = await open(`index.html?embed=1&panels=diagram&autoplay&theme=${theme}#s=${hash}`, { width });
      const { page } = opened;
      await diagram(page).locator('[aria-label^="web-"]').nth(2).waitFor();
      assert.equal(await page.locator('.topbar').count(), 0, 'no header in the embed view');
      assert.equal(await page.locator('[aria-label="Console"]').count(), 0);
      assert.equal(await page.locator('[aria-label="Manifest editor"]').count(), 0);
      assert.equal(await page.locator('[aria-label="Timeline"]').count(), 0);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
      await page.waitForTimeout(1500); // the pods start; nothing else may be fetched meanwhile
      await shot(page, `embed-diagram-${theme}-${width}`);
      await assertClean(opened);
      assert.equal(await page.evaluate(() => localStorage.length), 0, 'the embed view keeps nothing');
      await opened.context.close();
    }
  }
});

test('bad link parameters get clear messages and the default cluster, never a blank page', async () => {
  const opened = await open('index.html?embed=1&panels=diagram,map&theme=pink&speed=fast#s=bm90IGRlZmxhdGU');
  const { page } = opened;
  await diagram(page).locator('[aria-label^="node worker-1"]').first().waitFor();
  const notices = await page.locator('.notice').allInnerTexts();
  assert.ok(notices.some((n) => n.includes('Unknown panel "map"')), notices.join('\n'));
  assert.ok(notices.some((n) => n.includes('Unknown theme "pink"')));
  assert.ok(notices.some((n) => n.includes('The scenario in this link is damaged')));
  await assertClean(opened);
  await opened.context.close();

  const lesson = await open('index.html?lesson=no-such-lesson');
  await lesson.page.getByText('There is no lesson "no-such-lesson"').waitFor();
  await diagram(lesson.page).waitFor();
  await assertClean(lesson);
  await lesson.context.close();

  const huge = await open(`index.html?embed=1#s=${'A'.repeat(70 * 1024)}`);
  await huge.page.getByText(/The scenario in this link is too large/).waitFor();
  await diagram(huge.page).locator('[aria-label^="node worker-1"]').first().waitFor();
  await huge.context.close();
});

test('the Share dialog makes a link and an iframe that rebuild this cluster', async () => {
  for (const [theme, width] of [['light', 1440], ['dark', 600], ['light', 600], ['dark', 1440]]) {
    const opened = await open(`index.html?theme=${theme}`, { width });
    const { page } = opened;
    await run(page, 'kubectl create deployment shared --image=nginx --replicas=2');
    await diagram(page).locator('[aria-label^="shared-"]').nth(1).waitFor();
    // Keyboard: focus Share and press Enter.
    const share = page.getByRole('button', { name: /Share/ });
    await share.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /Share/ });
    await dialog.waitFor();
    const link = await dialog.getByLabel('Link', { exact: true }).inputValue();
    const iframe = await dialog.getByLabel(/Embed in a page/).inputValue();
    assert.match(link, /#s=[A-Za-z0-9_-]+$/);
    assert.match(iframe, /^<iframe src="[^"]*embed=1[^"]*#s=/);
    await shot(page, `share-${theme}-${width}`);
    await dialog.getByRole('button', { name: 'Copy the link' }).click();
    await dialog.getByRole('button', { name: 'Copy the link' }).getByText('Copied').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await assertClean(opened);
    await opened.context.close();

    if (theme === 'light' && width === 1440) {
      // The round trip: the link opens the same cluster elsewhere.
      const other = await open(link.slice(site.url.length));
      await other.page.locator('[aria-label="Console"]').getByText('kubectl create deployment shared --image=nginx --replicas=2').waitFor();
      await diagram(other.page).locator('[aria-label^="shared-"]').nth(1).waitFor();
      await assertClean(other);
      await other.context.close();
    }
  }
});

test('the session survives a reload, exports, and refuses a foreign import', async () => {
  const opened = await open('index.html');
  const { page, context } = opened;
  await run(page, 'kubectl create deployment kept --image=nginx --replicas=2');
  await diagram(page).locator('[aria-label^="kept-"]').nth(1).waitFor();
  const editor = page.locator('[aria-label="Manifest editor"]');
  await editor.getByRole('button', { name: 'New manifest tab' }).click();
  await editor.locator('textarea').fill('# my notes\n');
  await page.waitForTimeout(2500); // the saver writes at most once a second
  const clockBefore = await page.locator('[aria-label="Timeline"] time').first().innerText();
  await page.reload();
  await diagram(page).locator('[aria-label^="kept-"]').nth(1).waitFor();
  assert.equal(await editor.locator('textarea').inputValue(), '# my notes\n');
  const clockAfter = await page.locator('[aria-label="Timeline"] time').first().innerText();
  assert.ok(seconds(clockAfter) >= seconds(clockBefore), `virtual time went back: ${clockBefore} -> ${clockAfter}`);
  const input = page.locator('[aria-label="Console"] input').first();
  await input.focus();
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'kubectl create deployment kept --image=nginx --replicas=2');

  // Export: one JSON file with a format and a version.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const file = await (await download).path();
  const exported = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(exported.format, 'kubeglass-session');
  assert.equal(exported.version, 1);
  assert.match(exported.script, /kubectl create deployment kept/);

  // A foreign file changes nothing.
  const chooser = page.locator('input[type=file]');
  await chooser.setInputFiles({ name: 'drawing.json', mimeType: 'application/json', buffer: Buffer.from('{"type":"excalidraw"}') });
  await page.getByText('Could not import drawing.json').waitFor();
  await page.getByText('Nothing was changed.').first().waitFor();
  await diagram(page).locator('[aria-label^="kept-"]').nth(1).waitFor();

  // Start afresh, then import the exported file: the cluster comes back.
  await page.getByRole('button', { name: 'New cluster' }).click();
  await diagram(page).locator('[aria-label^="kept-"]').first().waitFor({ state: 'detached' });
  await chooser.setInputFiles(file);
  await page.getByText(/Imported /).waitFor();
  await diagram(page).locator('[aria-label^="kept-"]').nth(1).waitFor();
  await assertClean(opened);
  await context.close();
});

test('a read-only link refuses commands that change the cluster', async () => {
  const opened = await open('index.html?readonly');
  const { page } = opened;
  await run(page, 'kubectl delete node worker-1');
  await page.getByText(/this cluster is read-only/).first().waitFor();
  await run(page, 'kubectl get nodes');
  await page.locator('[aria-label="Console"]').getByText(/worker-1\s+Ready/).waitFor();
  await assertClean(opened);
  await opened.context.close();
});

test('a lesson checks its steps as the learner works, and Show me runs a solution', async () => {
  for (const [theme, width] of [['light', 1440], ['dark', 600], ['light', 600], ['dark', 1440]]) {
    const opened = await open(`index.html?lesson=request-flow&theme=${theme}`, { width });
    const { page } = opened;
    const lesson = page.locator('.lesson');
    await lesson.getByText(/^0 of \d+ steps$/).waitFor();
    if (theme === 'light' && width === 1440) {
      // The learner types the first step's command; the step checks itself.
      // (The next step, the controller manager's pods, may check out at once as time runs.)
      await run(page, 'kubectl create deployment web --image=nginx --replicas=2');
      const progress = lesson.getByText(/^\d+ of \d+ steps$/);
      await lesson.getByText(/^[12] of \d+ steps$/).waitFor();
      const done = Number((await progress.innerText()).split(' ')[0]);
      await lesson.getByRole('button', { name: /^Show me/ }).click();
      await lesson.getByText(new RegExp(`^(${done + 1}|${done + 2}) of \\d+ steps$`)).waitFor();
    }
    await shot(page, `lesson-${theme}-${width}`);
    await assertClean(opened);
    await opened.context.close();
  }
});

test('user-supplied text is shown as text, never as HTML', async () => {
  const manifests = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: page\ndata:\n  body: "<img src=x onerror=window.__xss=true>"\n';
  const opened = await open(`index.html#s=${scenario('kubectl get configmap page -o yaml\nkubectl run "<img src=x onerror=window.__xss=true>" --image=nginx\n', manifests)}`);
  const { page } = opened;
  const output = page.locator('[aria-label="Console"]');
  await output.getByText(/body: '?<img src=x onerror=window\.__xss=true>'?/).waitFor();
  await output.getByText(/Invalid value: "<img src=x onerror=window.__xss=true>"/).first().waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), false);
  await assertClean(opened);
  await opened.context.close();
});

test('a panic shows a recoverable banner over the last good state', async () => {
  const opened = await open('index.html?panic-test', { expectErrors: true });
  const { page } = opened;
  const banner = page.getByRole('alert').filter({ hasText: 'kubeglass stopped after an internal error' });
  await banner.waitFor();
  assert.match(await banner.innerText(), /panic-test/);
  await diagram(page).locator('[aria-label^="node worker-1"]').first().waitFor(); // not blank
  await shot(page, 'panic-light-1440');
  await banner.getByRole('button', { name: 'Reload' }).click();
  await page.waitForURL((url) => !url.search.includes('panic-test'));
  await diagram(page).locator('[aria-label^="node worker-1"]').first().waitFor();
  assert.equal(await page.getByText('kubeglass stopped after an internal error').count(), 0);
  await opened.context.close();
});

test('the page for blog authors shows live examples and fetches only its own files', async () => {
  for (const colorScheme of ['light', 'dark']) {
    for (const width of [600, 1440]) {
      const opened = await open('embed.html', { width, colorScheme });
      const { page } = opened;
      const frames = page.locator('iframe');
      assert.equal(await frames.count(), 3);
      for (let i = 0; i < 3; i++) {
        await frames.nth(i).scrollIntoViewIfNeeded();
        await page.frameLocator('iframe').nth(i).locator('[aria-label="Cluster diagram"] [aria-label^="node worker-1"]').first().waitFor();
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot(page, `blog-${colorScheme}-${width}`);
      await page.locator('iframe').nth(1).scrollIntoViewIfNeeded();
      await page.waitForTimeout(500);
      await shot(page, `blog-second-${colorScheme}-${width}`);
      await assertClean(opened);
      await opened.context.close();
    }
  }
});

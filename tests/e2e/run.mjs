// End-to-end test of the release site in dist/, in Debian's headless Chromium via playwright-core.
//
//   node tests/e2e/run.mjs          (make test-e2e; needs dist/ from make dist)
//
// Environment: KUBEGLASS_DIST (default dist), CHROMIUM (default /usr/bin/chromium),
// E2E_TIMEOUT_MS (default 60000, per wait).
//
// It serves dist/ from a nested URL path (/some/folder/) to prove the site uses relative URLs,
// applies a Deployment through the manifest editor, and waits for its three pods to be drawn on
// worker nodes. It prints the time to first render and saves test-results/app.png. Any page
// error, console error, failed request, or request outside the served folder fails the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveDir } from './serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = resolve(ROOT, process.env.KUBEGLASS_DIST ?? 'dist');
const RESULTS = join(ROOT, 'test-results');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 60_000);
const PREFIX = '/some/folder/';

// The Deployment the editor opens with: three nginx replicas.
const DEPLOYMENT = readFileSync(join(ROOT, 'examples', 'web-deployment.yaml'), 'utf8');
// web-<pod-template-hash>-<5 chars>, as the ReplicaSet controller names pods.
const WEB_POD = /^web-[a-z0-9]+-[a-z0-9]{5}$/;

// Records the first animation frame in which the cluster diagram is in the DOM with a size.
// performance.now() counts from the navigation start, so this is the time to first render.
const FIRST_RENDER_PROBE = `(() => {
  const check = () => {
    const el = document.querySelector('[aria-label="Cluster diagram"]');
    const box = el && el.getBoundingClientRect();
    if (box && box.width > 0 && box.height > 0) {
      window.__kubeglassFirstRenderMs = performance.now();
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
})();`;

let site, browser, context, page;
const problems = []; // page errors, console errors, bad requests: any of them fails the test
const figures = {};

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `${DIST}/index.html is missing: run make dist first`);
  site = await serveDir(DIST, { prefix: PREFIX });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  // Nothing may leave the served origin, and nothing may be fetched from outside the served
  // folder (which is what an absolute URL like /index.js would do).
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== site.origin) {
      problems.push(`request outside the served origin: ${route.request().method()} ${url.href}`);
      return route.abort('blockedbyclient');
    }
    if (!url.pathname.startsWith(PREFIX) && url.pathname !== '/favicon.ico') {
      problems.push(`request outside the served folder ${PREFIX} (an absolute URL?): ${url.href}`);
    }
    return route.continue();
  });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText ?? 'failed';
    if (!why.startsWith('net::ERR_BLOCKED_BY_CLIENT')) problems.push(`request failed: ${req.url()} (${why})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) {
      problems.push(`HTTP ${res.status()} for ${res.url()}`);
    }
  });
  await page.addInitScript(FIRST_RENDER_PROBE);
});

after(async () => {
  // A screenshot whatever happened: the picture of a failure is the most useful one.
  if (page) {
    await mkdir(RESULTS, { recursive: true });
    await page
      .screenshot({ path: join(RESULTS, 'app.png'), fullPage: true })
      .then(() => console.log(`screenshot: ${join(RESULTS, 'app.png')}`))
      .catch((err) => console.log(`no screenshot: ${err.message}`));
  }
  await browser?.close();
  await new Promise((ok) => (site?.server ? site.server.close(ok) : ok()));
  if (Object.keys(figures).length) {
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'e2e.json'), JSON.stringify(figures, null, 2) + '\n');
  }
});

/** A test whose failure message also lists what went wrong in the page (it is often the cause). */
function pageTest(name, body) {
  test(name, async () => {
    try {
      await body();
    } catch (err) {
      if (problems.length && !String(err.message).includes('the page misbehaved')) {
        err.message += `\n\nmeanwhile the page misbehaved:\n  ${problems.join('\n  ')}`;
      }
      throw err;
    }
  });
}

function assertNoProblems() {
  assert.deepEqual(problems, [], `the page misbehaved:\n  ${problems.join('\n  ')}`);
}

/** Every pod chip named web-…, with the node whose `node <name>` element contains it (or null). */
function webPodPlacement() {
  return page.evaluate(() =>
    [...document.querySelectorAll('[aria-label^="web-"]')].map((chip) => {
      const node = chip.parentElement?.closest('[aria-label^="node "]');
      return { pod: chip.getAttribute('aria-label'), node: node ? node.getAttribute('aria-label').slice(5) : null };
    }),
  );
}

/** Runs a command in the console and returns the console's text that appeared after it. */
async function runInConsole(command) {
  const consoleRegion = page.locator('[aria-label="Console"]');
  const before = await consoleRegion.innerText();
  const input = consoleRegion.locator('input').first();
  await input.fill(command);
  await input.press('Enter');
  await page.waitForFunction(
    (n) => document.querySelector('[aria-label="Console"]').innerText.length !== n,
    before.length,
  );
  const text = await consoleRegion.innerText();
  const at = text.lastIndexOf(command);
  return at >= 0 ? text.slice(at + command.length) : text.slice(before.length);
}

pageTest('the app loads from a nested folder and renders the cluster', async () => {
  const started = Date.now();
  await page.goto(site.url, { waitUntil: 'load' });
  const diagram = page.locator('[aria-label="Cluster diagram"]');
  await diagram.waitFor({ state: 'visible' });
  await page.waitForFunction(() => window.__kubeglassFirstRenderMs !== undefined);
  const firstRender = await page.evaluate(() => window.__kubeglassFirstRenderMs);
  const nav = await page.evaluate(() => {
    const [n] = performance.getEntriesByType('navigation');
    return { domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
  });
  figures.firstRenderMs = Math.round(firstRender);
  figures.domContentLoadedMs = Math.round(nav.domContentLoaded);
  figures.loadMs = Math.round(nav.load);
  console.log(
    `time to first render: ${figures.firstRenderMs} ms ` +
      `(navigation start to the cluster diagram visible; DOMContentLoaded ${figures.domContentLoadedMs} ms, ` +
      `load ${figures.loadMs} ms, wall ${Date.now() - started} ms)`,
  );
  for (const name of ['Manifest editor', 'Console']) {
    await page.locator(`[aria-label="${name}"]`).first().waitFor({ state: 'visible' });
  }
  assertNoProblems();
});

pageTest('a Deployment applied in the editor gets 3 pods on worker nodes', async () => {
  const editor = page.locator('[aria-label="Manifest editor"]').locator('textarea').first();
  await editor.click();
  await editor.fill(DEPLOYMENT);
  await page.getByRole('button', { name: 'Apply', exact: true }).click();

  const startedAt = Date.now();
  let placement = [];
  while (true) {
    placement = await webPodPlacement();
    const names = new Set(placement.map((p) => p.pod));
    const placed = new Set(placement.filter((p) => p.node).map((p) => p.pod));
    if (names.size === 3 && placed.size === 3) break;
    assert.ok(names.size <= 3, `more than 3 web pods drawn: ${JSON.stringify(placement)}`);
    if (Date.now() - startedAt > TIMEOUT) {
      assert.fail(`3 web pods were not drawn on nodes within ${TIMEOUT} ms: ${JSON.stringify(placement)}`);
    }
    await page.waitForTimeout(100);
  }
  figures.applyToPodsOnNodesMs = Date.now() - startedAt;
  console.log(`3 web pods drawn on nodes ${figures.applyToPodsOnNodesMs} ms after Apply`);

  const nodes = await page.evaluate(() =>
    [...document.querySelectorAll('[aria-label^="node "]')].map((n) => n.getAttribute('aria-label').slice(5)),
  );
  for (const { pod, node } of placement) {
    assert.match(pod, WEB_POD, `pod chip name ${pod}`);
    assert.ok(nodes.includes(node), `pod ${pod} is in an unknown node element ${node}`);
    assert.doesNotMatch(node, /control-plane|master/, `pod ${pod} is on the control-plane node ${node}`);
  }
  console.log(`placement: ${[...new Map(placement.map((p) => [p.pod, p.node]))].map(([p, n]) => `${p} on ${n}`).join(', ')}`);
  figures.pods = Object.fromEntries(placement.map((p) => [p.pod, p.node]));
  assertNoProblems();
});

pageTest('the console shows the pods Running on their nodes', async () => {
  const pods = Object.keys(figures.pods ?? {});
  assert.equal(pods.length, 3, 'the previous test found no pods');
  const startedAt = Date.now();
  let out = '';
  while (true) {
    out = await runInConsole('kubectl get pods -o wide');
    const lines = out.split('\n');
    const running = pods.filter((pod) =>
      lines.some((l) => l.startsWith(pod) && /\bRunning\b/.test(l) && l.includes(figures.pods[pod])),
    );
    if (running.length === 3) break;
    if (Date.now() - startedAt > TIMEOUT) {
      assert.fail(`the console did not show the 3 pods Running on their nodes within ${TIMEOUT} ms; last output:\n${out}`);
    }
    await page.waitForTimeout(1000);
  }
  figures.applyToRunningMs = Date.now() - startedAt + (figures.applyToPodsOnNodesMs ?? 0);
  assertNoProblems();
});

// ---- issue 7: the visual UI ------------------------------------------------------------

pageTest('every main region is there, and the theme toggle switches themes', async () => {
  for (const name of ['Cluster diagram', 'Manifest editor', 'Console', 'Inspector', 'Timeline']) {
    await page.locator(`[aria-label="${name}"]`).first().waitFor({ state: 'visible' });
  }
  const toggle = page.getByRole('button', { name: /theme/i });
  const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await toggle.click();
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.ok(theme === 'dark' || theme === 'light', `data-theme is ${theme}`);
  const after = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(after, before, 'the background did not change with the theme');
  await toggle.click();
  assertNoProblems();
});

pageTest('the console completes with Tab and recalls history with ArrowUp', async () => {
  const input = page.locator('[aria-label="Console"] input').first();
  await input.fill('kubectl ge');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'kubectl get ');
  await input.fill('kubectl get deploy');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'kubectl get deployments ');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'kubectl get deployments web ');
  await input.fill('');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'kubectl get pods -o wide');
  await input.fill('');
  assertNoProblems();
});

pageTest('kubectl get pods --watch streams new rows until Ctrl+C', async () => {
  const consoleRegion = page.locator('[aria-label="Console"]');
  await runInConsole('kubectl get pods --watch');
  const editor = page.locator('[aria-label="Manifest editor"]').locator('textarea').first();
  await editor.fill(DEPLOYMENT.replace(/replicas: 3/, 'replicas: 4'));
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.waitForFunction(
    () => {
      const text = document.querySelector('[aria-label="Console"]').innerText;
      const tail = text.slice(text.lastIndexOf('kubectl get pods --watch'));
      return /\nweb-\S+\s+0\/1\s+(Pending|ContainerCreating)/.test(tail);
    },
    null,
    { timeout: TIMEOUT },
  );
  const input = consoleRegion.locator('input').first();
  await input.press('Control+c');
  await consoleRegion.getByText('^C').waitFor();
  assertNoProblems();
});

pageTest('clicking a pod opens it in the inspector: describe and YAML', async () => {
  const [{ pod }] = await webPodPlacement();
  await page.locator(`[aria-label="${pod}"]`).first().click();
  const inspector = page.locator('[aria-label="Inspector"]');
  await inspector.getByText(`Name:`).first().waitFor();
  assert.match(await inspector.innerText(), new RegExp(pod));
  await inspector.getByRole('tab', { name: 'YAML' }).click();
  await inspector.getByText('kind: Pod').waitFor();
  await inspector.getByRole('tab', { name: 'Events' }).click();
  await inspector.getByText(/Scheduled/).first().waitFor();
  assertNoProblems();
});

pageTest('the timeline pauses, offers 0.25× to 64×, and looks back at a past revision', async () => {
  const timeline = page.locator('[aria-label="Timeline"]');
  await timeline.getByRole('button', { name: 'Pause', exact: true }).click();
  await timeline.getByRole('button', { name: 'Play', exact: true }).waitFor();
  const speeds = await timeline.getByLabel('Speed').locator('option').allInnerTexts();
  assert.equal(speeds[0], '0.25×');
  assert.equal(speeds.at(-1), '64×');
  const slider = timeline.locator('input[type=range]');
  const min = await slider.getAttribute('min');
  await slider.fill(min);
  await page.getByText('as it was at an earlier revision').waitFor();
  await timeline.getByRole('button', { name: 'Back to live' }).click();
  await timeline.getByRole('button', { name: 'Play', exact: true }).click();
  assertNoProblems();
});

pageTest('the editor marks a YAML error at its line while typing', async () => {
  const editor = page.locator('[aria-label="Manifest editor"]');
  await editor.getByRole('button', { name: 'New manifest tab' }).click();
  await editor.locator('textarea').fill('apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: [\n');
  const error = editor.locator('.editor-error');
  await error.waitFor();
  assert.match(await error.innerText(), /line \d+, column \d+/);
  assert.equal(await editor.locator('.gutter .is-error').count(), 1);
  assertNoProblems();
});

pageTest('kubectl edit opens the object in the editor and Save applies it', async () => {
  await runInConsole('kubectl edit deployment web');
  const editor = page.locator('[aria-label="Manifest editor"]');
  await editor.getByRole('tab', { name: /edit deployment web/ }).waitFor();
  const area = editor.locator('textarea');
  const yaml = await area.inputValue();
  assert.match(yaml, /kind: Deployment/);
  await area.fill(yaml.replace(/replicas: \d+/, 'replicas: 2'));
  await editor.getByRole('button', { name: 'Save', exact: true }).click();
  await editor.getByText('deployment.apps/web edited').waitFor();
  assertNoProblems();
});

pageTest('messages: a filter that hides Lease heartbeats by default, and step mode', async () => {
  const diagram = page.locator('[aria-label="Cluster diagram"]');
  assert.equal(await diagram.getByLabel('Lease heartbeats').isChecked(), false);
  await diagram.getByRole('button', { name: 'Next message' }).click();
  await diagram.getByRole('button', { name: 'Show all' }).waitFor();
  const captions = await diagram.locator('.message-caption').allInnerTexts();
  assert.ok(captions.length > 0 && captions.every((c) => c.includes('→')), `captions: ${captions}`);
  await diagram.getByRole('button', { name: 'Show all' }).click();
  await page.locator('[aria-label="Timeline"]').getByRole('button', { name: /^(Play|Pause)$/ }).first().waitFor();
  const play = page.locator('[aria-label="Timeline"]').getByRole('button', { name: 'Play', exact: true });
  if (await play.count()) await play.click();
  assertNoProblems();
});

pageTest('a crowded node collapses its pods into their owners, and expands on demand', async () => {
  await runInConsole('kubectl scale deployment web --replicas=45');
  const diagram = page.locator('[aria-label="Cluster diagram"]');
  const expand = diagram.getByRole('button', { name: /^Show all \d+ pods$/ }).first();
  await expand.waitFor({ timeout: TIMEOUT });
  assert.match(await diagram.locator('.pod--group').first().innerText(), /web ×\d+/);
  await expand.click();
  await diagram.getByRole('button', { name: 'Group by owner' }).first().click();
  assertNoProblems();
});

pageTest('no horizontal scrolling from 600 px; screenshots of both themes at 600 and 1440 px', async () => {
  await mkdir(RESULTS, { recursive: true });
  for (const width of [600, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    for (const theme of ['light', 'dark']) {
      // Through the toggle, as a reader would (at most two clicks from the system theme).
      for (let i = 0; i < 2 && (await page.evaluate(() => document.documentElement.dataset.theme)) !== theme; i++) {
        await page.getByRole('button', { name: /theme/i }).click();
      }
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
      await page.waitForTimeout(150);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= width, `at ${width} px the page is ${scroll} px wide`);
      await page.screenshot({ path: join(RESULTS, `ui-${width}-${theme}.png`), fullPage: width < 1000 });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  assertNoProblems();
});

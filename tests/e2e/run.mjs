// End-to-end test of the release site in dist/, in Debian's headless Chromium via playwright-core.
//
//   node tests/e2e/run.mjs          (make test-e2e; needs dist/ from make dist)
//
// Environment: KUBEGLASS_DIST (default dist), CHROMIUM (default /usr/bin/chromium),
// E2E_TIMEOUT_MS (default 60000, per wait). Frame times at scale are a benchmark:
// tests/e2e/bench.mjs (make bench).
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

/** Switches the theme through the toggle, as a reader would (at most two clicks). */
async function setTheme(theme) {
  for (let i = 0; i < 2 && (await page.evaluate(() => document.documentElement.dataset.theme)) !== theme; i++) {
    await page.getByRole('button', { name: /theme/i }).click();
  }
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
}

/**
 * Screenshots of the page as it is now, in both themes at 600 and 1440 px wide, named
 * test-results/<name>-<width>-<theme>.png; at 600 px the page may not scroll sideways.
 * `focus` (a locator) is scrolled into view first.
 */
async function shoot(name, focus) {
  await mkdir(RESULTS, { recursive: true });
  for (const width of [600, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    for (const theme of ['light', 'dark']) {
      await setTheme(theme);
      if (focus) await focus.first().scrollIntoViewIfNeeded();
      await page.waitForTimeout(150);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= width, `${name}: at ${width} px the page is ${scroll} px wide`);
      await page.screenshot({ path: join(RESULTS, `${name}-${width}-${theme}.png`), fullPage: width < 1000 });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Waits until `predicate` (run in the page) holds, polling. */
async function until(predicate, arg, what) {
  await page.waitForFunction(predicate, arg, { timeout: TIMEOUT, polling: 200 }).catch((err) => {
    err.message = `${what}: ${err.message}`;
    throw err;
  });
}

pageTest('the inspector explains the scheduler\'s decision for a pod, node by node and plugin by plugin', async () => {
  await runInConsole('kubectl scale deployment web --replicas=3');
  await until(() => document.querySelectorAll('[data-pod^="web-"]').length === 3 &&
    [...document.querySelectorAll('[data-pod^="web-"]')].every((c) => c.dataset.status === 'Running'), null, '3 web pods Running');
  const [{ pod, node }] = await webPodPlacement();
  await page.locator(`[data-pod="${pod}"]`).click();
  const inspector = page.locator('[aria-label="Inspector"]');
  await inspector.getByRole('tab', { name: 'Scheduling' }).click();
  const table = inspector.locator('table.explain-table');
  await table.waitFor();
  assert.match(await inspector.locator('.explain-headline').innerText(), new RegExp(`${pod} went to ${node}`));
  const chosen = await table.locator('tr.is-chosen th').innerText();
  assert.equal(chosen, node);
  const headers = await table.locator('thead th').allInnerTexts();
  for (const plugin of ['TaintToleration', 'NodeResourcesFit', 'ImageLocality']) {
    assert.ok(headers.some((h) => h.startsWith(plugin)), `no ${plugin} column: ${headers}`);
  }
  // The control-plane node is filtered out, and the filter and its reason are named.
  const rejected = await table.locator('tr.is-rejected').allInnerTexts();
  assert.ok(rejected.some((r) => /control-plane/.test(r) && /TaintToleration/.test(r) && /untolerated taint/.test(r)), `rejected rows: ${rejected}`);
  // The same numbers as `sim explain pod NAME -o json`.
  const out = await runInConsole(`sim explain pod ${pod} -o json`);
  const json = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1));
  const total = await table.locator('tr.is-chosen td.total').innerText();
  assert.equal(Number(total), json.nodes[node].total);
  await shoot('inspector-scheduling', inspector);
  assertNoProblems();
});

pageTest('Services show their endpoints; traffic travels, and a stale rule sends a request to a pod that is gone', async () => {
  await runInConsole('kubectl expose deployment web --port=80');
  const services = page.locator('[aria-label="Services"]');
  await services.getByRole('button', { name: 'Service default/web' }).waitFor();
  await until(() => document.querySelectorAll('[data-service="web"] .endpoint:not(.is-unready)').length === 3, null, '3 ready endpoints');
  const served = await services.locator('[data-service="web"] .endpoint').allInnerTexts();
  const pods = (await webPodPlacement()).map((p) => p.pod);
  for (const text of served) assert.ok(pods.some((p) => text.includes(p.slice(0, 20))), `endpoint ${text} is not a web pod (${pods})`);

  await runInConsole('sim curl web -n 3');
  await services.locator('.traffic-list li:not(.is-failed)').first().waitFor();
  // A dot travels client → kube-proxy → pod (unless the reader asked for less motion).
  await page.locator('.traffic-dot').first().waitFor({ state: 'attached' });

  // kube-proxy on worker-1 stops hearing about changes; a pod goes; its rule stays.
  await runInConsole('sim stop kube-proxy worker-1');
  const [gone] = pods;
  await runInConsole(`kubectl delete pod ${gone}`);
  await until((p) => !document.querySelector(`[data-pod="${p}"]`), gone, `${gone} gone`);
  // A node has no cluster DNS: the request goes to the ClusterIP. Each picks one of the three
  // rules at random: a third go to the pod that is gone.
  const [clusterIp] = (await services.locator('[data-service="web"] .service-address').innerText()).split('/');
  const stale = services.locator('.traffic-list li.is-stale');
  for (let i = 0; i < 40 && !(await stale.count()); i++) await runInConsole(`sim curl ${clusterIp} --from worker-1`);
  await stale.first().waitFor();
  assert.match(await stale.first().innerText(), /stale rule: .*no pod there.*Connection timed out/);
  await page.locator('.traffic-dot').first().waitFor({ state: 'attached' });
  await shoot('services-traffic', services);
  await runInConsole('sim start kube-proxy worker-1');
  assertNoProblems();
});

pageTest('fault menus send the sim and kubectl commands, echoed in the console, by keyboard too', async () => {
  const diagram = page.locator('[aria-label="Cluster diagram"]');
  const consoleRegion = page.locator('[aria-label="Console"]');
  // Keyboard: open the menu of worker-3, walk to "Cordon", run it.
  const button = diagram.getByRole('button', { name: 'Actions for worker-3' });
  await button.focus();
  await page.keyboard.press('Enter');
  const menu = diagram.getByRole('menu', { name: 'Actions for worker-3' });
  await menu.waitFor();
  const items = await menu.getByRole('menuitem').allInnerTexts();
  assert.ok(items.length >= 8, `menu items: ${items}`);
  for (let i = 0; i < 10; i++) {
    const focused = await page.evaluate(() => document.activeElement?.innerText ?? '');
    if (focused.includes('kubectl cordon worker-3')) break;
    await page.keyboard.press('ArrowDown');
  }
  await shoot('fault-menu', menu);
  // The screenshots clicked the theme toggle: back to the item, then Enter.
  await menu.getByRole('menuitem', { name: /kubectl cordon worker-3/ }).focus();
  await page.keyboard.press('Enter');
  await consoleRegion.getByText('node/worker-3 cordoned').waitFor();
  assert.match(await consoleRegion.innerText(), /kubectl cordon worker-3/);
  await until(() => /SchedulingDisabled/.test(document.querySelector('[data-node="worker-3"]')?.innerText ?? ''), null, 'worker-3 drawn SchedulingDisabled');
  // Escape closes a menu and gives the focus back to its button.
  await button.click();
  await menu.waitFor();
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Actions for worker-3');
  // Mouse: uncordon, stop and start the scheduler, stop a node, add a node.
  const run = async (subject, command, reply) => {
    await diagram.getByRole('button', { name: `Actions for ${subject}` }).click();
    await diagram.getByRole('menuitem', { name: new RegExp(command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).click();
    await consoleRegion.getByText(reply).first().waitFor();
  };
  await run('worker-3', 'kubectl uncordon worker-3', 'node/worker-3 uncordoned');
  await run('scheduler', 'sim stop scheduler', /kube-scheduler/);
  await run('scheduler', 'sim start scheduler', /kube-scheduler/);
  await run('worker-2', 'sim node stop worker-2', 'sim node stop worker-2');
  await run('worker-2', 'sim node start worker-2', 'sim node start worker-2');
  await diagram.getByRole('button', { name: /Add a node/ }).click();
  await consoleRegion.getByText('sim node add worker-4').first().waitFor();
  await diagram.locator('[data-node="worker-4"]').waitFor();
  assertNoProblems();
});

/** The SHA-256 (base64) of each inline script of the served index.html, for a strict CSP. */
async function inlineScriptHashes() {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const { createHash } = await import('node:crypto');
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`,
  );
}

pageTest('Export: the diagram as SVG and PNG, in both themes, under a strict Content-Security-Policy', async () => {
  const csp = `default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; ` +
    `script-src 'self' 'wasm-unsafe-eval' ${(await inlineScriptHashes()).join(' ')}`;
  const strict = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const violations = [];
  await strict.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    if ((headers['content-type'] ?? '').startsWith('text/html')) headers['content-security-policy'] = csp;
    await route.fulfill({ response, headers });
  });
  const p = await strict.newPage();
  p.setDefaultTimeout(TIMEOUT);
  p.on('console', (msg) => {
    if (msg.type() === 'error' || /Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
  });
  p.on('pageerror', (err) => violations.push(String(err)));
  try {
    await p.goto(site.url, { waitUntil: 'load' });
    const diagram = p.locator('[aria-label="Cluster diagram"]');
    await diagram.locator('[data-node="worker-1"]').waitFor();
    const input = p.locator('[aria-label="Console"] input').first();
    await input.fill('kubectl create deployment web --image=nginx --replicas=4');
    await input.press('Enter');
    await p.waitForFunction(() => document.querySelectorAll('[data-pod^="web-"][data-status="Running"]').length === 4, null, { timeout: TIMEOUT });
    await mkdir(RESULTS, { recursive: true });
    for (const theme of ['light', 'dark']) {
      for (let i = 0; i < 2 && (await p.evaluate(() => document.documentElement.dataset.theme)) !== theme; i++) {
        await p.getByRole('button', { name: /theme/i }).click();
      }
      const [svgDownload] = await Promise.all([p.waitForEvent('download'), diagram.getByRole('button', { name: 'Export the diagram as SVG' }).click()]);
      assert.equal(svgDownload.suggestedFilename(), 'kubeglass-cluster.svg');
      const svg = readFileSync(await svgDownload.path(), 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.doesNotMatch(svg, /<script|<style|href=|url\(/, 'self-contained, with inline attributes only');
      for (const name of ['worker-1', 'worker-2', 'worker-3', 'API server', 'scheduler']) assert.ok(svg.includes(name), `the SVG names ${name}`);
      assert.equal((svg.match(/>[^<]*web-[a-z0-9]{5}</g) ?? []).length, 4, 'the SVG draws the 4 web pods');
      const background = theme === 'dark' ? '#0f1319' : '#f3f5f8';
      assert.ok(svg.includes(`fill="${background}"`), `the ${theme} background`);
      await writeFile(join(RESULTS, `export-${theme}.svg`), svg);

      const [pngDownload] = await Promise.all([p.waitForEvent('download'), diagram.getByRole('button', { name: 'Export the diagram as PNG' }).click()]);
      assert.equal(pngDownload.suggestedFilename(), 'kubeglass-cluster.png');
      const png = readFileSync(await pngDownload.path());
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
      const width = png.readUInt32BE(16);
      assert.equal(width, 2400, 'painted at twice the SVG width');
      await writeFile(join(RESULTS, `export-${theme}.png`), png);
    }
    assert.deepEqual(violations, [], `under the strict CSP the page misbehaved:\n  ${violations.join('\n  ')}`);
  } finally {
    await strict.close();
  }
  assertNoProblems();
});

pageTest('Continue from here: a fork at a past revision brings a deleted Deployment back, running', async () => {
  const timeline = page.locator('[aria-label="Timeline"]');
  const slider = timeline.locator('input[type=range]');
  const before = await slider.getAttribute('max');
  await runInConsole('kubectl delete deployment web');
  await until(() => !document.querySelector('[data-pod^="web-"]'), null, 'the web pods gone');
  await slider.fill(before);
  await page.getByText('as it was at an earlier revision').waitFor();
  assert.ok(await page.locator('[data-pod^="web-"]').count() >= 2, 'the past revision draws the web pods');
  await timeline.getByRole('button', { name: 'Continue from here' }).click();
  const banner = page.locator('.fork-banner');
  await banner.waitFor();
  assert.match(await banner.innerText(), new RegExp(`Continued from revision ${before}`));
  await timeline.getByRole('button', { name: 'Pause' }).or(timeline.getByRole('button', { name: 'Play' })).first().waitFor();
  const play = timeline.getByRole('button', { name: 'Play', exact: true });
  if (await play.count()) await play.click();
  await until(() => [...document.querySelectorAll('[data-pod^="web-"]')].filter((c) => c.dataset.status === 'Running').length >= 2 &&
    !document.querySelector('.past-banner'), null, 'the web pods running in the fork');
  assert.match(await runInConsole('kubectl get deployment web'), /web\s+\d+\/\d+/);
  await shoot('forked', banner);
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

/** Median and 95th percentile of a list of numbers. */
function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p95: at(0.95) };
}

// Browser benchmarks of the release site in dist/, in Debian's headless Chromium via
// playwright-core (make bench; needs dist/ from make dist). Prints `key value` lines:
//
//   dist_gzip_kb         gzip -9 size of every file of dist/ that a first visit downloads, in KiB
//   first_render_ms      navigation start to the first frame with the cluster diagram drawn
//   frame_ms_median_1k   requestAnimationFrame intervals while the diagram animates 1,000 pods
//   frame_ms_p95_1k      on 100 nodes (median and 95th percentile, ms) ...
//   frame_ms_median_5k   ... and 5,000 pods on 500 nodes
//   frame_ms_p95_5k
//
// Each frame scenario starts a fresh page, builds the cluster through the Console region with
// the command language (paused: `sim node add`, `kubectl create deployment --replicas`, `sim wait`
// until every pod runs), presses Play, starts a rolling restart of the Deployment (so messages
// and pods animate) and samples frame intervals for SAMPLE_MS. Figures never fail the run; a
// page that does not load, or reports an error, does.
//
// Environment: KUBEGLASS_DIST (default dist), CHROMIUM (default /usr/bin/chromium),
// BENCH_TIMEOUT_MS (default 900000, per wait).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveDir } from './serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = resolve(ROOT, process.env.KUBEGLASS_DIST ?? 'dist');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = Number(process.env.BENCH_TIMEOUT_MS ?? 900_000);
const PREFIX = '/some/folder/';
const SAMPLE_MS = 5_000;
// The default cluster's workers (ClusterConfig::default); scenarios add the rest.
const DEFAULT_WORKERS = 3;

// Chromium's flags for headless runs, shared with wasm-bindgen-test (Playwright adds headless).
const LAUNCH_ARGS = JSON.parse(readFileSync(join(ROOT, 'webdriver.json'), 'utf8'))['goog:chromeOptions'].args.filter(
  (arg) => !arg.startsWith('--headless'),
);

if (!existsSync(join(DIST, 'index.html'))) {
  console.error(`${DIST}/index.html is missing: run make dist first`);
  process.exit(1);
}

const site = await serveDir(DIST, { prefix: PREFIX });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
const problems = [];

/** A fresh page of the app, loaded and drawn; records what it downloads. */
async function openApp() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const downloaded = new Set();
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('response', (res) => {
    const path = new URL(res.url()).pathname;
    if (res.status() === 200 && path.startsWith(PREFIX)) downloaded.add(path.slice(PREFIX.length) || 'index.html');
    if (res.status() >= 400 && !path.endsWith('/favicon.ico')) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  await page.goto(site.url, { waitUntil: 'commit' });
  // Checked in every animation frame from the start: performance.now() counts from the
  // navigation start, so the first frame with the diagram drawn gives the time to first render.
  const firstRender = await page.waitForFunction(
    () => {
      const box = document.querySelector('[aria-label="Cluster diagram"]')?.getBoundingClientRect();
      return box && box.width > 0 && box.height > 0 && performance.now();
    },
    null,
    { polling: 'raf' },
  );
  const firstRenderMs = await firstRender.jsonValue();
  await page.waitForLoadState('load');
  await page.locator('[aria-label="Console"] input').first().waitFor({ state: 'visible' });
  check();
  return { context, page, downloaded, firstRenderMs };
}

function check() {
  if (problems.length) throw new Error(`the page misbehaved:\n  ${problems.join('\n  ')}`);
}

/** Runs a command in the Console region and waits until its output shows `expect`. */
async function run(page, command, expect) {
  const input = page.locator('[aria-label="Console"] input').first();
  await input.fill(command);
  await input.press('Enter');
  if (expect) await page.locator('[aria-label="Console"]').getByText(expect).last().waitFor();
  check();
}

/** Runs a command in the Console region and returns what it printed. */
async function output(page, command) {
  const consoleRegion = page.locator('[aria-label="Console"]');
  const count = (text) => text.split(command).length - 1;
  const before = count(await consoleRegion.innerText());
  await run(page, command);
  await page.waitForFunction(
    ([command, before]) => document.querySelector('[aria-label="Console"]').innerText.split(command).length - 1 > before,
    [command, before],
  );
  const text = await consoleRegion.innerText();
  return text.slice(text.lastIndexOf(command) + command.length);
}

async function setPlaying(page, playing) {
  const timeline = page.locator('[aria-label="Timeline"]');
  const button = timeline.getByRole('button', { name: playing ? 'Play' : 'Pause', exact: true });
  if (await button.count()) await button.click();
  await timeline.getByRole('button', { name: playing ? 'Pause' : 'Play', exact: true }).waitFor();
}

/** requestAnimationFrame intervals over `ms` of wall time. */
function frameIntervals(page, ms) {
  return page.evaluate(
    (ms) =>
      new Promise((done) => {
        const times = [];
        const frame = (now) => {
          times.push(now);
          if (now - times[0] < ms) requestAnimationFrame(frame);
          else done(times.slice(1).map((t, i) => t - times[i]));
        };
        requestAnimationFrame(frame);
      }),
    ms,
  );
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const figures = {};

// A first visit: what it downloads, and how soon the diagram is drawn.
{
  const { context, page, downloaded, firstRenderMs } = await openApp();
  await page.waitForLoadState('networkidle');
  let bytes = 0;
  for (const file of downloaded) {
    bytes += execFileSync('gzip', ['-9c', join(DIST, file)], { maxBuffer: 1 << 30 }).length;
  }
  figures.dist_gzip_kb = (bytes / 1024).toFixed(1);
  figures.first_render_ms = Math.round(firstRenderMs);
  console.error(`first visit downloads: ${[...downloaded].join(', ')}`);
  await context.close();
}

// Frames while the diagram animates `pods` pods on `nodes` nodes.
for (const [label, pods, nodes] of [
  ['1k', 1_000, 100],
  ['5k', 5_000, 500],
]) {
  const { context, page } = await openApp();
  await setPlaying(page, false);
  for (let i = DEFAULT_WORKERS + 1; i <= nodes; i++) {
    await run(page, `sim node add worker-${i}`, `node/worker-${i} added`);
  }
  await run(page, `kubectl create deployment bench --image=nginx --replicas=${pods}`, 'deployment.apps/bench created');
  const ready = new RegExp(`^bench\\s+${pods}/${pods}\\s`, 'm');
  for (let waited = 0; !ready.test(await output(page, 'kubectl get deployment bench')); waited++) {
    if (waited >= 20) throw new Error(`${pods} pods not ready after ten virtual minutes`);
    await run(page, 'sim wait 30s');
  }
  await setPlaying(page, true);
  await run(page, 'kubectl rollout restart deployment bench', 'deployment.apps/bench restarted');
  const intervals = await frameIntervals(page, SAMPLE_MS);
  check();
  figures[`frame_ms_median_${label}`] = percentile(intervals, 50).toFixed(1);
  figures[`frame_ms_p95_${label}`] = percentile(intervals, 95).toFixed(1);
  console.error(`${label}: ${intervals.length} frames in ${SAMPLE_MS} ms`);
  await context.close();
}

await browser.close();
await new Promise((ok) => site.server.close(ok));
for (const [key, value] of Object.entries(figures)) console.log(`${key} ${value}`);

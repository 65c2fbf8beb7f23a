// Opens the Streaming page of a real job in headless Chromium and checks what a person
// would see: live data in the four charts, batch rows, a working link to a batch page, no
// script errors or Content-Security-Policy violations. Screenshots go to <work dir>.
//   node streaming_page.cjs <work dir> <demo_word_count binary> <chromium>
'use strict';
const { spawn } = require('child_process');
const path = require('path');
const { createRequire } = require('module');

const [work, demoPath, chromiumPath] = process.argv.slice(2);
const { chromium } = createRequire(path.join(work, 'package.json'))('playwright-core');

function fail(message) {
  console.error('FAIL: ' + message);
  process.exitCode = 1;
}

/// Starts the job and resolves with the URL it prints on stderr.
function startJob() {
  const job = spawn(demoPath, ['--conf', 'ember.ui.port=0', '--conf', 'ember.app.name=BrowserTest'],
                    {stdio: ['ignore', 'ignore', 'pipe']});
  let stderr = '';
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "Web UI:" line within 20 s:\n' + stderr)), 20000);
    job.stderr.on('data', chunk => {
      stderr += chunk;
      const m = /Web UI: (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    job.on('exit', code => reject(new Error('the job exited with ' + code + ':\n' + stderr)));
  });
  return {job, url};
}

async function main() {
  const {job, url: urlPromise} = startJob();
  let browser;
  try {
    const url = await urlPromise;
    console.log('job UI at ' + url);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage({viewport: {width: 1400, height: 1100}});
    const problems = [];
    page.on('console', m => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
    page.on('pageerror', e => problems.push('page error: ' + e.message));
    page.on('response', r => { if (r.status() >= 400) problems.push(r.status() + ' for ' + r.url()); });

    await page.goto(url + '/streaming/');
    // Live data: every chart gets points without a reload (batches are 1 s apart).
    await page.waitForFunction(() => {
      const c = window.emberCharts;
      return c && ['input', 'scheduling', 'processing', 'total'].every(
          id => c[id] && c[id].timeline.data.datasets[0].data.length >= 3 &&
                c[id].histogram.data.datasets[0].data.length > 0);
    }, null, {timeout: 30000});
    const points = await page.evaluate(() => Object.fromEntries(
        Object.entries(window.emberCharts).map(([id, c]) => [id, c.timeline.data.datasets[0].data.length])));
    console.log('chart points: ' + JSON.stringify(points));
    const rows = await page.locator('#completed-batches tr a').count();
    if (rows < 3) fail('expected at least 3 completed batch rows, got ' + rows);
    const summary = await page.locator('.summary').innerText();
    if (!/completed batches/.test(summary)) fail('no summary line: ' + summary);
    await page.screenshot({path: path.join(work, 'streaming-page.png'), fullPage: true});

    // Follow a batch link to its page.
    const link = page.locator('#completed-batches tr a').first();
    const href = await link.getAttribute('href');
    await Promise.all([page.waitForURL('**/streaming/batch?id=*'), link.click()]);
    const title = await page.locator('h1').innerText();
    if (!title.startsWith('Details of batch')) fail('batch page title: ' + title);
    const ops = await page.locator('td.status-ok').count();
    if (ops < 1) fail('the batch page lists no succeeded output operation');
    console.log('followed ' + href + ': "' + title + '"');
    await page.screenshot({path: path.join(work, 'batch-page.png'), fullPage: true});

    for (const p of ['/jobs/', '/environment/']) {
      const r = await page.goto(url + p);
      if (r.status() !== 200) fail(p + ' answered ' + r.status());
    }
    if (problems.length) fail('the pages reported errors:\n  ' + problems.join('\n  '));
  } finally {
    if (browser) await browser.close();
    job.kill('SIGTERM');
    const killer = setTimeout(() => job.kill('SIGKILL'), 5000);
    if (job.exitCode === null) await new Promise(resolve => job.on('exit', resolve));
    clearTimeout(killer);
  }
  if (!process.exitCode) console.log('PASS: screenshots in ' + work);
}

main().catch(e => {
  fail(e.stack || String(e));
});

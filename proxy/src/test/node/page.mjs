// The 1bit status page in headless Chromium (Debian's, driven by playwright-core; no browser is downloaded).
// Usage: node page.mjs URL SCREENSHOT MODEL [KEY]   (run by StatusPageIT). Prints one JSON line of what it saw.
import { chromium } from 'playwright-core';

const [url, screenshot, model, key] = process.argv.slice(2);
const auth = key ? { Authorization: 'Bearer ' + key } : {};
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const result = { consoleErrors: [], keyPrompt: null, components: [], models: [], logMillis: -1, unloaded: false,
  reloaded: false, containerLog: false, restarted: '' };
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(String(e)));
  page.on('dialog', (d) => d.accept());
  await page.goto(url);
  if (key) {
    await page.waitForSelector('#key:not([hidden])', { timeout: 10000 });
    result.keyPrompt = await page.isHidden('#main');
    await page.fill('#key-input', key);
    await page.click('#key-form button');
  }
  await page.waitForSelector(`#models tr[data-model="${model}"]`, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('#components tbody tr').length > 0);
  result.components = await page.$$eval('#components tbody tr', (rows) => rows.map((r) => ({
    name: r.dataset.component, health: r.children[2].textContent })));
  result.models = await page.$$eval('#models tbody tr', (rows) => rows.map((r) => r.dataset.model));

  // A request through the proxy: its access-log line reaches the page's log view.
  const marker = 'page-test-' + Date.now();
  const sent = Date.now();
  await fetch(new URL('/v1/chat/completions', url), { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth },
    body: JSON.stringify({ model: marker, messages: [{ role: 'user', content: 'hi' }] }) });
  await page.waitForFunction((m) => document.getElementById('log').textContent.includes(m), marker, { timeout: 10000 });
  result.logMillis = Date.now() - sent;
  // Where the page has the stack, the on-demand model's container log is there too, under its component name.
  const config = await (await fetch(new URL('/ui/config.json', url))).json();
  if (config.status) {
    // A line of its own (not "(cannot read its log: …)"): llama-server's start-up lines are among the recent ones.
    await page.waitForFunction((m) => document.getElementById('log').textContent.split('\n')
      .some((l) => l.startsWith('model:' + m + ' | ') && !l.includes('(cannot read its log')), model, { timeout: 10000 });
    result.containerLog = true;
  }
  await page.fill('#log-filter', marker);
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.fill('#log-filter', '');

  // Unload from the page (its confirmation accepted): the model leaves the page and the proxy's /running.
  await page.click(`#models tr[data-model="${model}"] button.unload`);
  await page.waitForSelector(`#models tr[data-model="${model}"]`, { state: 'detached', timeout: 60000 });
  const running = await (await fetch(new URL('/running', url), { headers: auth })).json();
  result.unloaded = !running.running.some((m) => m.model === model);

  // Where the page has the stack's status, a registered model that is not loaded can be loaded from it again.
  if (config.status) {
    const load = `#components tr[data-component="${model}"] button.load`;
    await page.waitForSelector(load, { timeout: 10000 });
    await page.click(load);
    await page.waitForSelector(`#models tr[data-model="${model}"]`, { timeout: 60000 });
    result.reloaded = true;

    // A toolbox backend's row has Restart: confirmed, the page says how it went.
    const restart = '#components button.restart';
    await page.waitForSelector(restart, { timeout: 10000 });
    await page.click(restart);
    await page.waitForFunction(() => document.getElementById('action').textContent !== '', null, { timeout: 60000 });
    result.restarted = await page.textContent('#action');
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));

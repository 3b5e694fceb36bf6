// The benchmark's browser client: headless Chromium (Debian's, driven by playwright-core) showing
// the canvas's standalone page with the real widget, or a Jupyter Notebook 6 page whose cell shows
// the canvas from a kernel (the widget as users run it). The page records every frame the widget
// draws (its `dawn-rfb-frame` event); the drag is real mouse input through the DevTools protocol.
import { readFileSync, readdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding'];

// Installed before the page's scripts: frames drawn while `recording` is on are kept.
const RECORDER = `window.__bench = { recording: false, paints: [], decodeMs: [], bytes: 0, lastLossless: 0 };
document.addEventListener('dawn-rfb-frame', (e) => {
  const b = window.__bench, d = e.detail;
  if (d.lossless) b.lastLossless = d.paintedAt;
  if (!b.recording) return;
  b.paints.push([d.timestamp, d.paintedAt]);
  b.decodeMs.push(d.decodeMs);
  b.bytes += d.bytes;
}, true);`;

/** CPU seconds used so far by process `pid` and all its descendants, or only the descendants (Linux /proc). */
export function treeCpuSeconds(pid, descendantsOnly = false) {
  const children = new Map();
  const times = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      times.set(Number(name), (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime, USER_HZ 100
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  let total = descendantsOnly ? -(times.get(pid) ?? 0) : 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    total += times.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

/**
 * Starts Chromium (through `executablePath`, a namespace wrapper for slow links); `extraArgs`
 * are added to its flags.
 */
export async function launchChromium(executablePath = '/usr/bin/chromium', extraArgs = []) {
  const browser = await chromium.launch({ executablePath, args: [...ARGS, ...extraArgs], timeout: 60_000 });
  return browser;
}

/** A page showing `url`, sized so the largest canvas fits at one CSS pixel per pixel. */
export async function openView(browser, url, [width, height]) {
  const page = await browser.newPage({ viewport: { width: width + 64, height: height + 96 }, deviceScaleFactor: 1 });
  await page.addInitScript(RECORDER);
  await page.goto(url);
  await page.waitForFunction(() => window.dawnRfbView?.stats().framesDrawn > 0, null, { timeout: 60_000 });
  return viewHandle(page, await page.locator('#view canvas').boundingBox());
}

/**
 * A notebook page at `url` (a notebook with the dawn-rfb kernel) of `frontEnd`: 'notebook6'
 * (Jupyter Notebook 6: `code` runs in a new cell) or 'lab4' (the tests' JupyterLab 4: the notebook's
 * cells, which hold `code`, are run). Waits for the view it shows to be live with a frame drawn,
 * and resolves with the handle, the view's `data-transport` (`direct` or `jupyter`: which route the
 * widget took), its frame size and the kernel's id. The notebook's column is widened (Notebook 6)
 * so the canvas shows at one CSS pixel per pixel.
 */
export async function openNotebookView(browser, url, [width, height], code, frontEnd = 'notebook6', timeout = 60_000) {
  const page = await browser.newPage({ viewport: { width: width + 400, height: height + 400 }, deviceScaleFactor: 1 });
  await page.addInitScript(RECORDER);
  const pending = new Map();
  page.on('request', (r) => pending.set(r, Date.now()));
  page.on('requestfinished', (r) => pending.delete(r));
  page.on('requestfailed', (r) => { pending.set(r, `failed: ${r.failure()?.errorText}`); });
  await page.goto(url);
  let kernelId;
  if (frontEnd === 'lab4') {
    await page.waitForFunction(() => document.body.dataset.labReady === 'true', null, { timeout });
    await page.waitForFunction(() => window.lab.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', null, { timeout });
    kernelId = await page.evaluate(() => {
      void window.lab.commands.execute('notebook:run-all-cells');
      return window.lab.shell.currentWidget.sessionContext.session.kernel.id;
    });
  } else {
    await page.waitForFunction(() => Boolean(window.Jupyter?.notebook?._fully_loaded && window.Jupyter.notebook.kernel?.is_connected()), null, { timeout }).catch(async (e) => {
      const state = await page.evaluate(() => ({ loaded: Boolean(window.Jupyter?.notebook?._fully_loaded), kernel: window.Jupyter?.notebook?.kernel ? { connected: window.Jupyter.notebook.kernel.is_connected(), id: window.Jupyter.notebook.kernel.id } : null, title: document.title })).catch((x) => String(x));
      const open = [...pending].map(([r, v]) => `${r.url().replace(/^https?:\/\/[^/]+/, '')} (${typeof v === 'number' ? `${Math.round((Date.now() - v) / 1000)} s` : v})`);
      throw new Error(`the Notebook 6 page did not load with its kernel connected: ${e.message}; page state: ${JSON.stringify(state)}; requests not finished: ${open.join(', ') || 'none'}`);
    });
    await page.addStyleTag({ content: '#notebook-container { width: auto !important; } #header { display: none !important; }' });
    kernelId = await page.evaluate((text) => {
      const nb = window.Jupyter.notebook;
      nb.set_autosave_interval(0);
      const cell = nb.insert_cell_at_index('code', 0);
      cell.set_text(text);
      cell.execute();
      return nb.kernel.id;
    }, code);
  }
  const output = page.locator('.dawn-rfb-output[data-status="live"][data-frame-index]');
  try {
    await output.first().waitFor({ timeout });
  } catch (e) {
    const texts = await page.evaluate(() => document.querySelector('.jp-OutputArea, .output_area')?.parentElement?.innerText ?? '');
    throw new Error(`the notebook's view did not go live: ${e.message}; cell output: ${texts}`);
  }
  const transport = await output.first().getAttribute('data-transport');
  const canvas = page.locator('.dawn-rfb-output canvas').first();
  await canvas.scrollIntoViewIfNeeded();
  const handle = viewHandle(page, await canvas.boundingBox());
  handle.transport = transport;
  handle.kernelId = kernelId;
  handle.frameSize = await output.first().getAttribute('data-frame-size');
  return handle;
}

/** The page's main-thread TaskDuration and ScriptDuration so far, seconds (CDP Performance.getMetrics). */
async function mainThreadSeconds(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const of = (name) => metrics.find((x) => x.name === name)?.value ?? 0;
  return { TaskDuration: of('TaskDuration'), ScriptDuration: of('ScriptDuration') };
}

/** Recording and real mouse input on a page whose view's canvas lies at `box`. */
function viewHandle(page, box) {
  return {
    page,
    box,
    async measure() {
      // The page's main-thread time over the window (DevTools' Performance metrics: all tasks,
      // and the script part of them), to tell what the page itself costs per frame shown.
      this.cdp ??= await page.context().newCDPSession(page);
      await this.cdp.send('Performance.enable');
      this.metrics0 = await mainThreadSeconds(this.cdp);
      await page.evaluate(() => { window.__bench.recording = true; });
    },
    async stop() {
      const m = await mainThreadSeconds(this.cdp);
      const result = await page.evaluate(() => {
        const b = window.__bench;
        b.recording = false;
        return { paints: b.paints, decodeMs: b.decodeMs, bytes: b.bytes, frames: b.paints.length };
      });
      const perFrame = (key) => Math.round(((m[key] - this.metrics0[key]) * 1000 / Math.max(1, result.frames)) * 100) / 100;
      return { ...result, mainThread: { taskMsPerFrame: perFrame('TaskDuration'), scriptMsPerFrame: perFrame('ScriptDuration') } };
    },
    /** Drags in a circle with real mouse input at ~60 Hz until `until` (performance.now() ms). */
    async drag(until) {
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      const r = Math.min(box.width, box.height) * 0.3;
      await page.mouse.move(cx + r, cy);
      await page.mouse.down();
      let step = 0;
      let next = performance.now();
      while (performance.now() < until) {
        step++;
        await page.mouse.move(cx + r * Math.cos(step * 0.05), cy + r * Math.sin(step * 0.05));
        next += 1000 / 60;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        else next = performance.now();
      }
      await page.mouse.up();
    },
  };
}

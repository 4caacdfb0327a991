/**
 * The web app in a real browser (Debian's Chromium, driven by playwright-core) against
 * `deepsift serve` started as a user starts it, with an API key: refuse a non-video, upload the sample, wait
 * for the verdict, read the table, see the chart drawn, click the timeline to seek the player.
 * Screenshots go to DEEPSIFT_SCREENSHOT_DIR when it is set.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { VideoReport } from '../aggregator';
import { hashFile } from '../ingest';
import { cliEnv, REPO_ROOT } from './cli-runner';
import { startServeProcess, type ServeProcess } from './serve-process';
import { eventually } from './distributed-harness';
import { makeTempDir, makeTestClip, sharedDir } from './video-fixtures';

const SAMPLE = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
const CHROMIUM = process.env.DEEPSIFT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.DEEPSIFT_SCREENSHOT_DIR;
const KEY = 'web-analyst-key-0123456789';
const auth = { headers: { authorization: `Bearer ${KEY}` } };

jest.setTimeout(240_000);

/** Pixels of `selector`'s canvas close to the colour (r, g, b). */
function countPixels(page: Page, selector: string, [r, g, b]: [number, number, number]): Promise<number> {
  return page.$eval(selector, (canvas, rgb) => {
    // Runs in the page (the test's tsconfig has no DOM types).
    const element = canvas as any;
    const data = element.getContext('2d').getImageData(0, 0, element.width, element.height).data as Uint8ClampedArray;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - rgb[0]) < 12 && Math.abs(data[i + 1]! - rgb[1]) < 12 && Math.abs(data[i + 2]! - rgb[2]) < 12 && data[i + 3]! > 200) count += 1;
    }
    return count;
  }, [r, g, b]);
}

describe('the web app in Chromium', () => {
  let dir: string;
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, 'dist', 'web', 'index.html'))) throw new Error('dist/web is missing: run `npm run build` first');
    dir = await makeTempDir();
    // A 4 MB cap: the sample (3.3 MB) fits, two copies of it do not.
    server = await startServeProcess([], cliEnv({ DEEPSIFT_LOG_LEVEL: 'warn', DEEPSIFT_SERVE_MAX_UPLOAD_BYTES: '4000000', DEEPSIFT_API_KEYS: KEY }), dir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('asks for the API key, then offers the upload page with the default detectors ticked', async () => {
    await page.goto(server.url);
    // The server needs a key: the app asks for one and keeps it for the tab.
    await page.getByTestId('api-key-input').waitFor();
    await page.getByTestId('api-key-input').fill(KEY);
    await page.getByTestId('api-key-save').click();
    await page.getByTestId('job-list-empty').waitFor();
    await page.getByTestId('detector-meso4-df').waitFor();
    expect(await page.getByTestId('detector-meso4-df').isChecked()).toBe(true);
    expect(await page.getByTestId('detector-mesoinception-df').isChecked()).toBe(true);
    await expect(page.getByTestId('dropzone').textContent()).resolves.toContain('Drop a video here');
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'upload-page.png'), fullPage: true });
  });

  it('says so in words when the file dropped is not a video, or is too large', async () => {
    // Dropped onto the drop zone, as an analyst drags a file from their desktop.
    const dataTransfer = await page.evaluateHandle(() => {
      const { DataTransfer, File } = globalThis as any; // in the page (no DOM types here)
      const transfer = new DataTransfer();
      transfer.items.add(new File(['meeting notes, not a video\n'.repeat(400)], 'notes.mp4', { type: 'video/mp4' }));
      return transfer;
    });
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
    const problem = page.getByTestId('upload-problem');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/not a video.*NOT_A_VIDEO/);

    const twice = path.join(dir, 'twice.mp4');
    const sample = await readFile(SAMPLE);
    await writeFile(twice, Buffer.concat([sample, sample]));
    await page.getByTestId('file-input').setInputFiles(twice);
    await page.waitForFunction(() => /UPLOAD_TOO_LARGE/.test((globalThis as any).document.querySelector('[data-testid=upload-problem]')?.textContent ?? ''));
    expect(await problem.textContent()).toMatch(/larger than this server accepts/);
  });

  it('uploads the sample, shows the verdict, the table, the chart, and the timeline seeks the player', async () => {
    const videoId = (await hashFile(SAMPLE)).sha256;
    await page.getByTestId('file-input').setInputFiles(SAMPLE);
    await page.waitForURL(new RegExp(`#/videos/${videoId}\\?job=`), { timeout: 60_000 });
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 180_000 });
    const report = (await (await fetch(`${server.url}/api/v1/reports/${videoId}`, auth)).json()) as VideoReport;
    expect(report.status).toBe('done');
    expect((await verdict.textContent())!.trim()).toBe(report.label);
    expect(await page.getByTestId('ensemble-score').textContent()).toBe(`${(report.score! * 100).toFixed(1)} %`);

    const rows = await page.$$eval('[data-testid=detector-table] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    expect(rows.map((r) => r[0])).toEqual(Object.keys(report.detectors));
    for (const row of rows) {
      const detector = report.detectors[row[0]!]!;
      expect(row[1]).toBe(`${(detector.score! * 100).toFixed(1)} %`);
      expect(row[2]).toBe(detector.label);
      expect(row[4]).toBe(String(detector.facesScored));
    }

    // The bar chart is drawn: bars in the first detector's colour and in the average's (short
    // bars when P(fake) is low, so a few pixels are enough; none would mean no chart).
    await expect(countPixels(page, '[data-testid=score-chart] canvas', [0x25, 0x63, 0xeb])).resolves.toBeGreaterThan(10);
    await expect(countPixels(page, '[data-testid=score-chart] canvas', [0x11, 0x18, 0x27])).resolves.toBeGreaterThan(10);

    // Clicking the timeline seeks the player: further right is later.
    const player = page.getByTestId('player');
    await player.evaluate((v: any) => v.readyState >= 1 || new Promise((resolve) => v.addEventListener('loadedmetadata', resolve, { once: true })));
    const box = (await page.getByTestId('timeline').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.4);
    const later = await eventually(async () => {
      const t = await player.evaluate((v: any) => (v.seeking ? undefined : v.currentTime));
      return t !== undefined && t > 0 ? t : undefined;
    }, 10_000, 'the player to seek');
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.4);
    const earlier = await eventually(async () => {
      const t = await player.evaluate((v: any) => (v.seeking ? undefined : v.currentTime));
      return t !== undefined && t < later ? t : undefined;
    }, 10_000, 'the player to seek back');
    const duration = report.video!.durationSeconds;
    expect(later).toBeGreaterThan(duration * 0.55);
    expect(later).toBeLessThan(duration * 0.85);
    expect(earlier).toBeGreaterThan(duration * 0.1);
    expect(earlier).toBeLessThan(duration * 0.35);

    // The speaker's face box is drawn over the frame (green: below the threshold, red: above).
    const boxColour: [number, number, number] = report.label === 'FAKE' ? [0xdc, 0x26, 0x26] : [0x16, 0xa3, 0x4a];
    await eventually(async () => ((await countPixels(page, '[data-testid=face-overlay]', boxColour)) > 50 ? true : undefined), 10_000, 'the face box');
    await page.locator('[data-testid=tracks] img').first().waitFor({ timeout: 30_000 });
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'result-page.png'), fullPage: true });

    // The page's link opens the same result again.
    const permalink = await page.getByTestId('permalink').getAttribute('href');
    await page.goto('about:blank');
    await page.goto(permalink!);
    await page.getByTestId('verdict').waitFor({ timeout: 30_000 });
    expect((await page.getByTestId('verdict').textContent())!.trim()).toBe(report.label);

    // The same video again: the page waits for the new analysis rather than showing the old report.
    await page.goto(server.url);
    await page.getByTestId('file-input').setInputFiles(SAMPLE);
    await page.getByTestId('waiting').waitFor({ timeout: 60_000 });
    await page.getByTestId('verdict').waitFor({ timeout: 180_000 });
    expect((await page.getByTestId('verdict').textContent())!.trim()).toBe(report.label);
  });

  it('says so when a video has no face', async () => {
    const clip = await makeTestClip(path.join(dir, 'test-pattern.mp4'), { width: 320, height: 240, frames: 20, fps: 10 });
    await page.goto(server.url);
    // The earlier jobs (the sample, twice) are listed, done, with their verdicts.
    await page.getByTestId('job-list').getByText('interview_1080p.mp4').first().waitFor();
    const rows = await page.$$eval('[data-testid=job-list] tbody tr', (trs) => trs.map((tr) => (tr as any).textContent as string));
    expect(rows.filter((row) => /interview_1080p\.mp4\s*done\s*(REAL|FAKE)/.test(row))).toHaveLength(2);
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'upload-page-with-jobs.png'), fullPage: true });
    await page.getByTestId('file-input').setInputFiles(clip);
    await page.getByTestId('verdict').waitFor({ timeout: 120_000 });
    expect((await page.getByTestId('verdict').textContent())!.trim()).toBe('UNKNOWN');
    expect(await page.getByTestId('no-face').textContent()).toMatch(/No face was found in the \d+ sampled frames/);
  });

  it('explains a failed analysis with its error code in words', async () => {
    const truncated = path.join(dir, 'truncated.mp4');
    await writeFile(truncated, (await readFile(SAMPLE)).subarray(0, 300_000));
    await page.goto(server.url);
    await page.getByTestId('file-input').setInputFiles(truncated);
    await page.getByTestId('verdict').waitFor({ timeout: 120_000 });
    expect((await page.getByTestId('verdict').textContent())!.trim()).toBe('FAILED');
    const report = (await (await fetch(`${server.url}/api/v1/reports/${(await hashFile(truncated)).sha256}`, auth)).json()) as VideoReport;
    expect(report.status).toBe('failed');
    expect(await page.getByTestId('failure').textContent()).toContain(`(${report.error!.code}`);
    expect(await page.getByTestId('failure').textContent()).toMatch(/truncated|cannot be decoded|not a video/);
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'failed-analysis.png'), fullPage: true });
  });
});

/**
 * The HTML report in a real browser (headless Debian chromium): made by
 * `classify --html` from a real video, and by `report` from its JSON.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test, type TestContext } from 'node:test';
import type { Report } from '../../src/core/report.js';
import { formatTimecode } from '../../src/core/timestamps.js';
import { chromiumMissing, distinctColours, launchBrowser, type OpenedPage, type TestBrowser } from '../helpers/browser.js';
import { makeTwoSceneVideo, runCli, tempDir } from './cli.js';

const FRAMES = 8;
let dir: string;
let report: Report;
let launched: TestBrowser | undefined;
const noChromium = chromiumMissing();

/** The browser, or undefined once the test is marked skipped with the reason (no chromium on this machine). */
function browserFor(t: TestContext): TestBrowser | undefined {
  // The one skip the suite allows (issue 17): a machine without a browser says so and why.
  // eslint-disable-next-line no-restricted-syntax
  if (noChromium !== undefined) t.skip(noChromium);
  return launched;
}

before(async () => {
  dir = await tempDir('html');
  const video = path.join(dir, 'ep1.mp4');
  await makeTwoSceneVideo(video);
  const run = await runCli(['classify', video, '--local', '--frames', String(FRAMES), '--workers', '1', '--format', 'json', '--out', path.join(dir, 'ep1'), '--html', path.join(dir, 'ep1.html')]);
  assert.equal(run.code, 0, run.stderr);
  report = JSON.parse(await readFile(path.join(dir, 'ep1.json'), 'utf8')) as Report;
  if (noChromium === undefined) launched = await launchBrowser();
});

after(async () => {
  await launched?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const okFrames = (): number[] => report.frames.filter((frame) => frame.status === 'ok').map((frame) => frame.index).sort((a, b) => a - b);

async function checkChartMatchesJson(opened: OpenedPage): Promise<void> {
  const { page } = opened;
  for (const label of report.model.labels) {
    const frames = await page.$$eval(`circle.pt[data-label="${label}"]`, (points) => points.map((point) => Number(point.getAttribute('data-frame'))));
    assert.deepEqual(frames.sort((a, b) => a - b), okFrames(), `one point per frame for ${label}`);
  }
  assert.equal(await page.locator('circle.pt').count(), okFrames().length * report.model.labels.length);
  const shaded = await page.$$eval('rect.seg', (rects) => rects.map((rect) => ({
    label: rect.getAttribute('data-label'), start: Number(rect.getAttribute('data-start')), end: Number(rect.getAttribute('data-end')),
  })));
  assert.deepEqual(shaded, report.summary.segments.map(({ label, start, end }) => ({ label, start, end })));
  assert.equal(Number(await page.getAttribute('#threshold', 'data-threshold')), report.summary.threshold);
  assert.deepEqual(opened.blocked, [], 'no network requests');
  assert.deepEqual(opened.errors, [], 'no script errors');
}

test('classify --html writes one self-contained file with a thumbnail per frame', async () => {
  const html = await readFile(path.join(dir, 'ep1.html'), 'utf8');
  assert.deepEqual(html.match(/(?:src|href)="(?!data:|#)[^"]*"/g), null, 'every src/href is inline');
  assert.doesNotMatch(html, /https?:\/\//);
  const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as { frames: Array<{ th?: string }> };
  assert.equal(data.frames.filter((frame) => frame.th?.startsWith('data:image/jpeg;base64,')).length, okFrames().length);
  assert.ok(html.length < 40_000 + FRAMES * 12_000, `${html.length} bytes`);
  assert.ok(report.summary.segments.length >= 2, 'the test video gives segments to shade');
});

test('the chart has one point per frame per label and shades exactly the segments in the JSON', async (t) => {
  const browser = browserFor(t);
  if (browser === undefined) return;
  const opened = await browser.open(pathToFileURL(path.join(dir, 'ep1.html')).href);
  await checkChartMatchesJson(opened);
  assert.ok((await opened.page.locator('image.thumb').count()) > 0, 'thumbnail strip');
  await opened.page.context().close();
});

test('clicking a point shows that frame, its time and its scores; hovering another moves the details', async (t) => {
  const browser = browserFor(t);
  if (browser === undefined) return;
  const opened = await browser.open(pathToFileURL(path.join(dir, 'ep1.html')).href);
  const { page } = opened;
  const label = report.summary.segments[0]!.label;
  const peak = report.frames.find((frame) => frame.status === 'ok' && frame.actualTime === report.summary.segments[0]!.peakTime)!;
  assert.ok(peak.status === 'ok');
  await page.click(`circle.pt[data-frame="${peak.index}"][data-label="${label}"]`, { force: true });
  assert.equal(await page.textContent('#detail-frame'), `Frame ${peak.index}`);
  assert.match((await page.textContent('#detail-time')) ?? '', new RegExp(`^${formatTimecode(peak.actualTime!).replace(/\./g, '\\.')}`));
  const rows = await page.$$eval('#detail-scores tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]));
  assert.deepEqual(rows, report.model.labels.map((name) => [name, peak.scores[name]!.toFixed(4)]));
  assert.match((await page.getAttribute('#detail-thumb', 'src')) ?? '', /^data:image\/jpeg;base64,/);
  assert.equal(await page.isVisible('#detail-thumb'), true);

  const other = okFrames().find((index) => index !== peak.index)!;
  await page.hover(`circle.pt[data-frame="${other}"]`, { force: true });
  assert.equal(await page.textContent('#detail-frame'), `Frame ${other}`);

  // The legend hides and shows a label's line, points and segments.
  const segmentsOf = report.summary.segments.filter((segment) => segment.label === label).length;
  await page.click(`.legend .toggle[data-label="${label}"]`);
  assert.equal(await page.locator(`circle.pt[data-label="${label}"]:visible`).count(), 0);
  assert.equal(await page.locator(`rect.seg[data-label="${label}"]:visible`).count(), 0);
  await page.click(`.legend .toggle[data-label="${label}"]`);
  assert.equal(await page.locator(`circle.pt[data-label="${label}"]:visible`).count(), okFrames().length);
  assert.equal(await page.locator(`rect.seg[data-label="${label}"]:visible`).count(), segmentsOf);

  const shot = await page.screenshot({ path: path.join(dir, 'wide.png'), fullPage: true });
  assert.ok(distinctColours(shot) > 200, 'the screenshot is not blank');
  assert.deepEqual(opened.errors, []);
  await page.context().close();
});

test('on a phone-sized screen the page does not scroll sideways and the chart is still drawn', async (t) => {
  const browser = browserFor(t);
  if (browser === undefined) return;
  const opened = await browser.open(pathToFileURL(path.join(dir, 'ep1.html')).href, { width: 390, height: 844 });
  const { page } = opened;
  // A string, so the test compiles without DOM types.
  const widths = await page.evaluate<{ page: number; view: number }>('({ page: document.documentElement.scrollWidth, view: window.innerWidth })');
  assert.ok(widths.page <= widths.view, `page is ${widths.page}px wide in a ${widths.view}px window`);
  const box = await page.locator('#chart').boundingBox();
  assert.ok(box !== null && box.height > 150, 'chart has height');
  await page.locator('#scrub').fill('3');
  assert.match((await page.textContent('#detail-frame')) ?? '', /^Frame \d+$/);
  assert.ok(distinctColours(await page.screenshot({ fullPage: true })) > 100);
  await page.context().close();
});

test('framescore report renders the JSON report without thumbnails', async (t) => {
  const out = path.join(dir, 'from-json.html');
  const run = await runCli(['report', path.join(dir, 'ep1.json'), '--html', out]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /wrote .*from-json\.html/);
  assert.equal(run.stdout, '');
  const browser = browserFor(t);
  if (browser === undefined) return;
  const opened = await browser.open(pathToFileURL(out).href);
  await checkChartMatchesJson(opened);
  assert.equal(await opened.page.locator('image.thumb').count(), 0);
  assert.match((await opened.page.textContent('main')) ?? '', /No thumbnails/);
  await opened.page.click(`circle.pt[data-frame="${okFrames()[0]}"]`, { force: true });
  assert.equal(await opened.page.isVisible('#detail-thumb'), false);
  await opened.page.context().close();
});

test('file names, labels and run facts from the report are shown as text, never run as markup; a scorer\'s fact groups get their own box', async (t) => {
  const evil = '"><script>alert("source")</script><img src=x onerror=alert(1)>.mp4';
  const badLabel = '<b onmouseover=alert(2)>Drawing</b>';
  const rename = (label: string): string => (label === 'Drawing' ? badLabel : label);
  const renameKeys = <T>(record: Readonly<Record<string, T>>): Record<string, T> => Object.fromEntries(Object.entries(record).map(([key, value]) => [rename(key), value]));
  const hostile: Report = {
    ...report,
    video: { ...report.video, source: evil },
    model: { ...report.model, labels: report.model.labels.map(rename) },
    frames: report.frames.map((frame) => (frame.status === 'ok' ? { ...frame, scores: renameKeys(frame.scores), top: { ...frame.top, label: rename(frame.top.label) } } : frame)),
    summary: { ...report.summary, labels: renameKeys(report.summary.labels), segments: report.summary.segments.map((segment) => ({ ...segment, label: rename(segment.label) })) },
    run: { ...report.run, '<i>note</i>': '</script><script>alert(3)</script>', lambda: { coldStarts: 2, retries: 1, latencyMs: { p95: 1830 }, cost: { usd: 0.000193 } } },
  };
  const json = path.join(dir, 'hostile.json');
  await writeFile(json, JSON.stringify(hostile));
  const out = path.join(dir, 'hostile.html');
  assert.equal((await runCli(['report', json, '--html', out])).code, 0);
  const browser = browserFor(t);
  if (browser === undefined) return;
  const opened = await browser.open(pathToFileURL(out).href);
  const { page } = opened;
  await page.hover(`circle.pt[data-frame="${okFrames()[0]}"]`, { force: true });
  assert.equal(await page.textContent('h1'), evil.split('/').pop());
  assert.ok(((await page.textContent('.sub')) ?? '').startsWith(evil));
  assert.equal(await page.locator('main b, main img[src="x"], main i').count(), 0);
  assert.equal(await page.locator('script').count(), 2, 'only the data block and the page script');
  assert.ok(((await page.textContent('.legend')) ?? '').includes(badLabel));
  assert.ok(((await page.textContent('#detail-scores')) ?? '').includes(badLabel));
  assert.ok(((await page.textContent('#run-facts')) ?? '').includes('</script><script>alert(3)</script>'));
  const lambda = await page.$$eval('#facts-lambda dt, #facts-lambda dd', (cells) => cells.map((cell) => cell.textContent));
  assert.deepEqual(lambda, ['cold starts', '2', 'retries', '1', 'latency ms › p95', '1.8 s', 'cost › usd', '$0.000193']);
  assert.equal(await page.textContent('#facts-lambda h3'), 'Lambda');
  assert.deepEqual(opened.dialogs, []);
  assert.deepEqual(opened.errors, []);
  await page.context().close();
});

test('report names the file and the problem when it cannot render it (exit 2)', async () => {
  const missing = path.join(dir, 'missing.json');
  const other = path.join(dir, 'other.json');
  await writeFile(other, '{"hello": "world"}');
  const [gone, wrong] = await Promise.all([
    runCli(['report', missing, '--html', path.join(dir, 'x.html')]),
    runCli(['report', other, '--html', path.join(dir, 'x.html')]),
  ]);
  assert.equal(gone.code, 2);
  assert.equal(gone.stderr, `framescore: cannot read report "${missing}": no such file\n`);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^framescore: report ".*other\.json" is not a framescore JSON report: schema is undefined, expected "framescore-report\/1"\n$/);
  assert.equal(existsSync(path.join(dir, 'x.html')), false);
});

/*
 * Browser tests of the search page of `arca serve`: playwright-core drives
 * Debian's chromium against a running server and prints TAP.
 *
 *   ARCA_URL=http://127.0.0.1:18080 ARTIFACTS=/tmp/shots node run.mjs
 *
 * ARCA_URL   a running `arca serve` on the sample collection (tests/data)
 *            plus the record with XSS payloads (see README.md here);
 * ARTIFACTS  where screenshots go (default: ./artifacts);
 * CHROMIUM   the browser (default /usr/bin/chromium);
 * ONLY       a substring: run only the tests whose name has it.
 *
 * Each test opens its own browser context and page.  Exit status 1 when any
 * test fails.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.ARCA_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const ARTIFACTS = process.env.ARTIFACTS || path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 10000;

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

let browser;

/* Runs fn(page) in a fresh context.  Any dialog (alert, confirm…) or
 * uncaught page error fails the test: the page must never run data. */
async function withPage(opts, fn) {
  const context = await browser.newContext({
    locale: 'en-US', viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...opts,
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', (d) => { problems.push(`dialog fired: ${d.type()} ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  try {
    await fn(page, context);
    assert.deepEqual(problems, [], 'no dialogs and no page errors');
  } finally {
    await context.close();
  }
}

/* Does action and waits until the search it starts has been answered and
 * drawn. */
async function searched(page, action) {
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/search');
  await action();
  await answer;
  await page.waitForFunction(() => document.getElementById('results').getAttribute('aria-busy') === 'false');
}

async function search(page, q) {
  await page.locator('#q').fill(q);
  await searched(page, () => page.locator('#q').press('Enter'));
}

async function open(page, query = '') {
  if (query) await searched(page, () => page.goto(`${BASE}/${query}`));
  else await page.goto(`${BASE}/`);
}

const total = async (page) => Number(await page.locator('.total').getAttribute('data-total'));
const hitIds = (page) => page.locator('.hit').evaluateAll((els) => els.map((e) => e.dataset.id));
const params = (page) => new URL(page.url()).searchParams;
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

async function apiJson(page, url) {
  const res = await page.request.get(`${BASE}${url}`);
  assert.ok(res.ok(), `GET ${url}: ${res.status()}`);
  return res.json();
}

/* ---- the tests ---- */

test('Korean search shows a hit with its title and a highlighted snippet', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await search(page, '경주');
    assert.ok(await total(page) >= 1, 'at least one hit');
    const hit = page.locator('.hit').first();
    await hit.locator('.hit-title').waitFor({ state: 'visible' });
    assert.notEqual((await hit.locator('.hit-title').textContent()).trim(), '', 'the title shows');
    assert.ok(await hit.locator('.snippet mark').count() >= 1, 'the snippet has a highlighted match');
    assert.equal(params(page).get('q'), '경주', 'the query is in the URL');
    await shot(page, 'desktop-en-results-ko-query');
  });
});

test('a facet value filters to its count, shows a chip, and the chip removes it', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await search(page, 'the');
    const before = await total(page);
    let facet = 'board';
    if (await page.locator('.facet[data-facet="board"] input').count() === 0) facet = 'type';
    const input = page.locator(`.facet[data-facet="${facet}"] input`).first();
    const value = await input.getAttribute('data-value');
    const count = Number(await page.locator(`.facet[data-facet="${facet}"] .count`).first().getAttribute('data-count'));
    const siblings = await page.locator(`.facet[data-facet="${facet}"] input`).count();
    await searched(page, () => input.check());
    assert.equal(await page.locator(`.facet[data-facet="${facet}"] input`).count(), siblings,
      'the other values stay listed, so a second one can be added');
    assert.deepEqual(params(page).getAll(facet), [value], `the URL has ${facet}=${value}`);
    assert.equal(await total(page), count, 'the total equals the facet count clicked');
    const chip = page.locator(`.chip[data-facet="${facet}"]`);
    await chip.waitFor({ state: 'visible' });
    assert.ok(await page.locator(`.facet[data-facet="${facet}"] input[data-value="${value}"]`).isChecked(), 'the box is checked');
    await shot(page, 'desktop-en-filtered');
    await searched(page, () => chip.click());
    assert.equal(await total(page), before, 'removing the chip restores the total');
    assert.equal(params(page).getAll(facet).length, 0, 'the filter has left the URL');
    assert.equal(await page.locator('.chip').count(), 0, 'no chip left');
  });
});

test('pagination: page two shows other hits and the back button returns', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await search(page, 'the');
    assert.ok(await total(page) > 10, 'more than one page of hits');
    const first = await hitIds(page);
    await searched(page, () => page.locator('.pagination a[data-page="2"]').first().click());
    assert.equal(params(page).get('page'), '2', 'the URL has page=2');
    const second = await hitIds(page);
    assert.ok(second.length > 0, 'page two has hits');
    assert.ok(second.every((id) => !first.includes(id)), 'page two shows other hits');
    assert.equal(await page.locator('.pagination a[aria-current="page"]').textContent(), '2');
    await searched(page, () => page.goBack());
    assert.notEqual(params(page).get('page'), '2', 'back at page one');
    assert.deepEqual(await hitIds(page), first, 'page one shows its hits again');
    /* A bookmarked page-two URL runs the search on load. */
    await searched(page, () => page.goto(`${BASE}/?q=the&page=2`));
    assert.deepEqual(await hitIds(page), second, 'loading ?q=the&page=2 shows page two');
  });
});

test('the year histogram: a bar filters to its year', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await search(page, 'union');
    const bars = page.locator('.histogram .bar');
    assert.ok(await bars.count() >= 2, 'bars for several years');
    const data = await bars.evaluateAll((els) => els.map((e) => [e.dataset.year, Number(e.dataset.count)]));
    for (const [, n] of data) assert.ok(n >= 1);
    const [year, count] = data.reduce((a, b) => (b[1] > a[1] ? b : a));
    const bar = page.locator(`.histogram .bar[data-year="${year}"]`);
    assert.ok((await bar.getAttribute('aria-label')).includes(year), 'the bar has an aria-label');
    assert.equal(await bar.locator('title').textContent(), `${year}: ${count}`, 'the bar has a tooltip');
    await searched(page, () => bar.click());
    assert.deepEqual(params(page).getAll('year'), [year], `the URL has year=${year}`);
    assert.equal(await total(page), count, "the total equals the bar's count");
    const dates = await page.locator('.hit').evaluateAll((els) => els.map((e) => {
      const d = e.querySelector('.hit-meta .date');
      return d ? d.textContent : '';
    }));
    assert.ok(dates.length > 0);
    for (const d of dates) assert.ok(d.startsWith(year), `hit dated ${d} is from ${year}`);
  });
});

test('an attachment link downloads the original bytes', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await search(page, 'the');
    const link = page.locator('a.attachment').first();
    await link.waitFor({ state: 'visible' });
    const id = await link.evaluate((a) => a.closest('.hit').dataset.id);
    const href = await link.getAttribute('href');
    const part = Number(href.split('/').pop());
    const answer = await apiJson(page, `/api/search?q=the&page=1&size=10`);
    const hit = answer.hits.find((h) => h.id === id);
    const att = hit.attachments.find((a, i) => (a.part ?? i + 1) === part);
    assert.match(att.sha256, /^[0-9a-f]{64}$/, 'the API gives the sha256');

    const download = page.waitForEvent('download');
    await link.click();
    const file = await (await download).path();
    const got = fs.readFileSync(file);
    assert.equal(sha256(got), att.sha256, 'the downloaded bytes hash to the sha256 field');
    const direct = await page.request.get(`${BASE}/api/records/${encodeURIComponent(id)}/attachments/${part}`);
    assert.ok(direct.ok());
    assert.equal(sha256(await direct.body()), att.sha256, 'the same bytes as a direct GET');
  });
});

test('the per-year report opens for the current query', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await search(page, 'union');
    await page.locator('#reports-toggle').click();
    const report = page.locator('.report[data-report="per-year"]');
    await report.waitFor({ state: 'visible' });
    assert.match(await page.locator('#reports-note').textContent(), /union/, 'the panel names the query');

    await report.locator('[data-format="svg"]').click();
    const img = page.locator('#report-view img.report-svg');
    await img.waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const i = document.querySelector('#report-view img');
      return i && i.complete && i.naturalWidth > 0;
    });

    await report.locator('[data-format="html"]').click();
    const table = page.frameLocator('#report-view iframe').locator('table');
    await table.waitFor({ state: 'visible' });
    assert.ok(await table.locator('tr').count() >= 2, 'the table has rows');

    const csvHref = await report.locator('a[data-format="csv"]').getAttribute('href');
    const csv = await page.request.get(`${BASE}${csvHref}`);
    assert.ok(csv.ok());
    assert.match(csv.headers()['content-type'], /csv/);
    assert.match(await csv.text(), /^year,count/);
    await shot(page, 'desktop-en-report');
  });
});

test('XSS payloads in records show as text and never run', async () => {
  await withPage({}, async (page) => {
    await open(page);
    const shipped = await page.evaluate(() => document.querySelectorAll('img[onerror], script').length);
    await search(page, 'xssprobe');
    assert.ok(await total(page) >= 1, 'the probe record is found');
    const title = await page.locator('.hit .hit-title').first().textContent();
    assert.ok(title.includes('<script>alert(1)</script>'), `the title shows the literal payload: ${title}`);
    assert.ok(title.includes('"><img src=x onerror=alert(1)>'), 'the img payload is literal text too');
    /* Details show more fields (source, tags, parts); open them too. */
    await page.locator('.hit .details-toggle').first().click();
    await page.locator('.hit .details dl').first().waitFor({ state: 'visible' });
    await page.waitForTimeout(300);
    const counts = await page.evaluate(() => ({
      danger: document.querySelectorAll('img[onerror], script').length,
      imgs: document.querySelectorAll('img').length,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
      jsLinks: [...document.querySelectorAll('[href], [src]')].filter((e) => /^\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || '')).length,
    }));
    assert.equal(counts.danger, shipped, 'no <script> or <img onerror> from data');
    assert.equal(counts.imgs, 0, 'no <img> at all on the result page');
    assert.equal(counts.handlers, 0, 'no inline event handler attributes');
    assert.equal(counts.jsLinks, 0, 'no javascript: links');
    await shot(page, 'desktop-en-xss');
    /* The same through the URL. */
    await searched(page, () => page.goto(`${BASE}/?q=${encodeURIComponent('<img src=x onerror=alert(9)>')}`));
    assert.equal(await page.evaluate(() => document.querySelectorAll('img[onerror], script').length), shipped);
  });
});

test('language switch: English and Korean labels; a ko-KR browser starts in Korean', async () => {
  await withPage({}, async (page) => {
    await open(page, '?q=union');
    const label = page.locator('.search-label');
    assert.equal(await label.textContent(), 'Search the archive');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.locator('[data-ui-lang="ko"]').click();
    assert.equal(await label.textContent(), '아카이브 검색');
    assert.equal(await page.getAttribute('html', 'lang'), 'ko');
    assert.equal(await page.getAttribute('[data-ui-lang="ko"]', 'aria-pressed'), 'true');
    assert.match(await page.locator('.total').textContent(), /건/, 'the result count is in Korean');
    await shot(page, 'desktop-ko-results');
    await page.reload();
    await page.waitForFunction(() => document.documentElement.lang === 'ko');
    assert.equal(await label.textContent(), '아카이브 검색', 'the choice is remembered');
    await page.locator('[data-ui-lang="en"]').click();
    assert.equal(await label.textContent(), 'Search the archive');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
  });
  await withPage({ locale: 'ko-KR' }, async (page) => {
    await open(page);
    assert.equal(await page.locator('.search-label').textContent(), '아카이브 검색');
    assert.equal(await page.getAttribute('html', 'lang'), 'ko');
    await shot(page, 'desktop-ko-welcome');
  });
});

test('did you mean: a misspelling offers a suggestion that finds hits', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await search(page, 'unoin');
    const link = page.locator('.suggestion-link');
    await link.waitFor({ state: 'visible' });
    const suggestion = await link.textContent();
    await searched(page, () => link.click());
    assert.equal(params(page).get('q'), suggestion, 'the suggestion became the query');
    assert.ok(await total(page) > 0, 'the suggestion finds hits');
  });
});

test('empty, no-results and error states', async () => {
  await withPage({}, async (page) => {
    await open(page);
    await page.locator('#welcome').waitFor({ state: 'visible' });
    assert.ok(await page.locator('#welcome a.example').count() >= 2, 'the welcome offers example queries');
    assert.equal(await page.locator('.hit').count(), 0);
    await searched(page, () => page.locator('#welcome a.example', { hasText: 'union' }).click());
    assert.ok(await total(page) > 0, 'an example query runs');

    await search(page, 'zzqxjvwk');
    await page.locator('.notice.empty').waitFor({ state: 'visible' });
    assert.equal(await total(page), 0);
    assert.match(await page.locator('#status').textContent(), /0 results/, 'the live region announces it');

    await page.route('**/api/search?*', (route) => route.fulfill({
      status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'query: unbalanced "quote <b>x</b>' }),
    }));
    await search(page, '"broken');
    const err = page.locator('.notice.error .error-message');
    await err.waitFor({ state: 'visible' });
    assert.equal(await err.textContent(), 'query: unbalanced "quote <b>x</b>', "the API's message shows as text");
    await page.unroute('**/api/search?*');
  });
});

test('a 360 px phone: no horizontal overflow and the search works', async () => {
  for (const [locale, tag] of [['en-US', 'en'], ['ko-KR', 'ko']]) {
    await withPage({ locale, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }, async (page) => {
      await open(page);
      const width = () => page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(await width() <= 360, 'the welcome fits');
      await search(page, tag === 'ko' ? '경주' : 'the');
      assert.ok(await total(page) >= 1);
      await page.locator('.hit').first().waitFor({ state: 'visible' });
      assert.ok(await width() <= 360, `no overflow: ${await width()}`);
      await shot(page, `mobile-${tag}-results`);
      await page.locator('#filters-toggle').click();
      await page.locator('.facet input').first().waitFor({ state: 'visible' });
      assert.ok(await width() <= 360, 'no overflow with the filters open');
      await page.locator('.hit .details-toggle').first().click();
      await page.locator('.hit .details dl').first().waitFor({ state: 'visible' });
      assert.ok(await width() <= 360, 'no overflow with details open');
      const small = await page.locator('button:visible, .pagination a:visible, a.attachment:visible').evaluateAll(
        (els) => els.filter((e) => e.getBoundingClientRect().height < 40).map((e) => e.textContent));
      assert.deepEqual(small, [], 'tap targets are at least 40 px high');
      if (tag === 'en') await shot(page, 'mobile-en-filters');
    });
  }
});

test('keyboard only: search and toggle a facet', async () => {
  await withPage({}, async (page) => {
    await open(page);
    const active = () => page.evaluate(() => {
      const a = document.activeElement;
      return { id: a.id, facet: a.dataset ? a.dataset.facet : undefined, value: a.dataset ? a.dataset.value : undefined, tag: a.tagName };
    });
    for (let i = 0; i < 20 && (await active()).id !== 'q'; i++) await page.keyboard.press('Tab');
    assert.equal((await active()).id, 'q', 'Tab reaches the search box');
    await page.keyboard.type('the');
    await searched(page, () => page.keyboard.press('Enter'));
    assert.ok(await total(page) > 0);
    let a;
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      a = await active();
      if (a.tag === 'INPUT' && a.facet) break;
    }
    assert.ok(a.facet, 'Tab reaches a facet value');
    await searched(page, () => page.keyboard.press('Space'));
    assert.deepEqual(params(page).getAll(a.facet), [a.value], 'Space turns the filter on');
    const still = await active();
    assert.equal(still.value, a.value, 'focus stays on the facet value');
    assert.ok(await page.evaluate(() => document.activeElement.checked), 'and it is checked');
    await searched(page, () => page.keyboard.press('Enter'));
    assert.equal(params(page).getAll(a.facet).length, 0, 'Enter turns it off again');
    /* The histogram bars answer the keyboard too. */
    await search(page, 'union');
    await page.locator('.histogram .bar').first().focus();
    const year = await page.locator('.histogram .bar').first().getAttribute('data-year');
    await searched(page, () => page.keyboard.press('Enter'));
    assert.deepEqual(params(page).getAll('year'), [year], 'Enter on a bar filters to its year');
  });
});

/* ---- the runner ---- */

const only = process.env.ONLY;
const chosen = only ? tests.filter((t) => t.name.includes(only)) : tests;
fs.mkdirSync(ARTIFACTS, { recursive: true });
console.log(`1..${chosen.length}`);
let passed = 0, failed = 0;
const started = Date.now();
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
} catch (e) {
  console.log(`Bail out! cannot start ${CHROMIUM}: ${e.message.split('\n')[0]}`);
  process.exit(1);
}
for (const [i, t] of chosen.entries()) {
  const t0 = Date.now();
  try {
    await t.fn();
    passed++;
    console.log(`ok ${i + 1} - ${t.name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`not ok ${i + 1} - ${t.name}`);
    for (const line of String(e && e.stack || e).split('\n').slice(0, 12)) console.log(`# ${line}`);
  }
}
await browser.close();
console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${ARTIFACTS}`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// The Content-Security-Policy at work in the browser: a script planted straight into the
// database (past the sanitizer) reaches the page but does not run, and no other site can
// frame Stoa's pages.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';

import { community } from '../lib/browser.mjs';

const site = community();

test('a script planted in a post does not run', async () => {
  const planted =
    '<script>window.stoaPwned = "inline";</script>' +
    '<img src="data:," onerror="window.stoaPwned = \'onerror\'">' +
    '<a id="planted-link" href="javascript:window.stoaPwned=\'href\'">click</a>';
  site.stoa.sql(`UPDATE posts SET body_html = '${planted.replaceAll("'", "''")}' WHERE id = (SELECT MIN(id) FROM posts)`);

  const { context, page } = await site.visitor();
  const refusals = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
  });
  await page.goto(site.seed.threadUrl);
  await page.waitForLoadState('networkidle');
  assert.equal(await page.locator('.question .prose script').count(), 1, 'the planted script reached the page');
  await page.locator('#planted-link').click();
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.stoaPwned), undefined);
  assert.ok(refusals.length >= 2, `the browser reported the refusals: ${refusals.join(' | ')}`);
  await context.close();
});

test('another site cannot frame the pages', async () => {
  const framing = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end(`<!doctype html><title>framer</title><iframe id="victim" src="${site.stoa.base}${site.seed.threadUrl}"></iframe>`);
  });
  await new Promise((ok) => framing.listen(0, '127.0.0.1', ok));
  const framer = `http://127.0.0.1:${framing.address().port}/`;
  try {
    const { context, page } = await site.visitor();
    const stoaResponses = [];
    page.on('response', (response) => {
      if (response.url().startsWith(site.stoa.base)) stoaResponses.push(response);
    });
    await page.goto(framer);
    await page.waitForLoadState('networkidle');
    assert.equal(stoaResponses.length, 1, 'the browser fetched the page for the frame');
    assert.match(stoaResponses[0].headers()['content-security-policy'], /frame-ancestors 'none'/);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.ok(frame, 'the frame element exists');
    assert.ok(!frame.url().startsWith(site.stoa.base), `the frame shows ${frame.url()}, not Stoa's page`);
    const shown = await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    assert.doesNotMatch(shown, /billing address/);
    await context.close();
  } finally {
    framing.close();
  }
});

// Proof of privacy from the browser's own network log: a guest browsing the home, a thread, a
// tag and the search page talks to no origin but the Stoa server and gets no cookie; a member's
// pages load nothing from a third party either; avatars are drawn locally. The thread carries
// what would leak if anything could: an image posted in Markdown, a raw <img>, and an older
// post whose stored HTML still holds an image from another host.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { answer, community, logIn } from '../lib/browser.mjs';

const site = community({
  prepare: async () => {
    const { context, page } = await site.visitor();
    await logIn(page, 'olivia');
    await answer(
      page,
      site.seed.threadUrl,
      'A screenshot: ![the billing page](https://images.example.net/billing.png)\n\n<img src="https://tracker.example.org/pixel.gif" width="1" height="1">',
    );
    await context.close();
    // A post saved before images became links: its stored HTML still has the <img>.
    site.stoa.sql(
      "UPDATE posts SET body_html = body_html || '<p><img src=\"https://legacy-cdn.example.com/old.png\" alt=\"old\"></p>' WHERE id = (SELECT MIN(id) FROM posts)",
    );
  },
});

/**
 * Records every request the browser starts in a context. Chromium lists a request that the
 * Content-Security-Policy refused too, failed with the reason "csp": it never left the browser,
 * so it is kept apart.
 */
function recordRequests(context) {
  const log = { started: [], refused: new Set() };
  context.on('request', (request) => log.started.push(request.url()));
  context.on('requestfailed', (request) => {
    if (request.failure()?.errorText === 'csp') log.refused.add(request.url());
  });
  return log;
}

/** The requests that went to another origin. */
function foreign(log) {
  return log.started.filter((url) => new URL(url).origin !== site.stoa.base && !url.startsWith('data:') && !log.refused.has(url));
}

test('a guest browsing home, a thread, a tag and search talks only to the server and gets no cookie', async () => {
  const { context, page } = await site.visitor();
  const log = recordRequests(context);
  for (const path of ['/', site.seed.threadUrl, '/tags/billing', '/search?q=billing+address']) {
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    if (path === site.seed.threadUrl) {
      assert.equal(await page.getByRole('link', { name: 'Image: the billing page' }).count(), 1, 'the posted image is a link');
    }
  }
  assert.ok(log.started.length >= 4, `the log saw the pages: ${log.started.join(' ')}`);
  assert.ok(log.started.some((url) => url.includes('/static/style.css')), 'the stylesheet came from the server');
  assert.deepEqual(foreign(log), []);
  assert.deepEqual([...log.refused], ['https://legacy-cdn.example.com/old.png'], 'the stored <img> was refused by the policy');
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  await context.close();
});

test('a member’s pages load no third-party resource', async () => {
  const { context, page } = await site.visitor();
  const log = recordRequests(context);
  await logIn(page, 'bruno');
  for (const path of ['/', site.seed.threadUrl, '/ask', '/account', '/search?q=invoice', '/tags/billing']) {
    await page.goto(path);
    await page.waitForLoadState('networkidle');
  }
  assert.deepEqual(foreign(log), []);
  const cookies = await context.cookies();
  assert.ok(cookies.length > 0, 'the session cookie is there');
  for (const cookie of cookies) {
    assert.equal(cookie.domain, '127.0.0.1', `cookie ${cookie.name} belongs to the server`);
    assert.equal(cookie.httpOnly, true, `cookie ${cookie.name} is HttpOnly`);
  }
  await context.close();
});

test('avatars are initials drawn by the page, not images from anywhere', async () => {
  const { context, page } = await site.visitor();
  await page.goto(site.seed.threadUrl);
  const avatars = await page.locator('.post-meta .avatar').allTextContents();
  assert.deepEqual(avatars.slice(0, 2), ['O', 'B'], 'olivia asked, bruno answered');
  assert.equal(await page.locator('.post-meta img, .profile img').count(), 0);
  const background = await page.locator('.post-meta .avatar').first().evaluate((el) => getComputedStyle(el).backgroundImage);
  assert.equal(background, 'none');
  await context.close();
});

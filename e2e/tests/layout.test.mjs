// Phone and desktop: screenshots of the main pages at 375 px and 1280 px (saved as artifacts),
// no sideways scrolling on a phone, and the dark variant taken from prefers-color-scheme.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { community, logIn, screenshot } from '../lib/browser.mjs';

const site = community({
  prepare: async () => {
    // A long word and a wide code block: what overflows a phone's width first.
    const member = await site.visitor();
    await logIn(member.page, 'bruno');
    await member.page.goto(site.seed.threadUrl);
    await member.page.locator('.question').getByRole('link', { name: 'Add a comment' }).click();
    await member.page.locator('.question').getByLabel('Comment').fill(`See https://example.com/${'very-long-path-segment'.repeat(6)}`);
    await Promise.all([member.page.waitForNavigation(), member.page.getByRole('button', { name: 'Add comment' }).first().click()]);
    await member.context.close();
  },
});

const PAGES = () => [
  { name: 'home', path: '/' },
  { name: 'thread', path: site.seed.threadUrl },
  { name: 'ask', path: '/ask', member: true },
  { name: 'search', path: '/search?q=billing+address' },
];

for (const width of [375, 1280]) {
  test(`pages at ${width} px: screenshots, and no horizontal scrolling`, async () => {
    const guest = await site.visitor({ width, height: 800 });
    const member = await site.visitor({ width, height: 800 });
    await logIn(member.page, 'bruno');
    const overflowing = [];
    for (const { name, path, member: needsMember } of PAGES()) {
      const { page } = needsMember ? member : guest;
      await page.goto(path);
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        view: document.documentElement.clientWidth,
      }));
      if (width === 375 && widths.scroll > widths.view) {
        overflowing.push(`${name}: ${widths.scroll}px of content in a ${widths.view}px window`);
      }
      await screenshot(page, `${name}-${width}`);
    }
    assert.deepEqual(overflowing, []);
    await guest.context.close();
    await member.context.close();
  });
}

/** The relative luminance of a computed CSS colour (rgb(…)). */
function luminance(rgb) {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

test('dark mode follows prefers-color-scheme', async () => {
  const colours = {};
  for (const colorScheme of ['light', 'dark']) {
    const { context, page } = await site.visitor({ colorScheme, width: 375 });
    await page.goto(site.seed.threadUrl);
    colours[colorScheme] = await page.evaluate(() => {
      const body = getComputedStyle(document.body);
      return { background: body.backgroundColor, text: body.color };
    });
    await screenshot(page, `thread-375-${colorScheme}`);
    await context.close();
  }
  assert.ok(luminance(colours.light.background) > 0.8, `light background ${colours.light.background}`);
  assert.ok(luminance(colours.dark.background) < 0.05, `dark background ${colours.dark.background}`);
  const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  for (const scheme of ['light', 'dark']) {
    const ratio = contrast(luminance(colours[scheme].background), luminance(colours[scheme].text));
    assert.ok(ratio >= 4.5, `${scheme} text contrast ${ratio.toFixed(2)}`);
  }
});

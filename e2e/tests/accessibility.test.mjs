// Accessibility on every page type, as a guest, a member and the owner: axe-core finds no
// serious or critical violation; every form field has a label; every page has its landmarks
// and a skip link; a keyboard alone reaches and uses the actions, with a visible focus ring.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { community, logIn, seriousViolations } from '../lib/browser.mjs';

let ids;
const site = community({
  prepare: async () => {
    const [question, answerId] = site.stoa.sql('SELECT id FROM posts ORDER BY id LIMIT 2').split('\n');
    const bruno = site.stoa.sql("SELECT id FROM users WHERE username = 'bruno'");
    ids = { question, answer: answerId, bruno };
  },
});

/** What every page must have: landmarks, a skip link first, a label on each field. */
async function structureProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    for (const selector of ['header', 'main', 'nav', 'footer']) {
      if (!document.querySelector(selector)) problems.push(`no <${selector}> landmark`);
    }
    const first = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea');
    if (!first?.classList.contains('skip-link')) problems.push('the first focusable element is not the skip link');
    if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} <h1> elements`);
    for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const named = field.labels?.length > 0 || field.getAttribute('aria-label') || field.getAttribute('aria-labelledby');
      if (!named) problems.push(`unlabelled field ${field.outerHTML.slice(0, 80)}`);
    }
    return problems;
  });
}

async function auditPages(role, page, paths) {
  const failures = [];
  for (const path of paths) {
    const response = await page.goto(path);
    if (response.status() >= 500) failures.push(`${path}: status ${response.status()}`);
    for (const problem of [...(await seriousViolations(page)), ...(await structureProblems(page))]) {
      failures.push(`${role} ${path}: ${problem}`);
    }
  }
  return failures;
}

test('no serious or critical violations, labels and landmarks on every page type', async () => {
  const guestPages = [
    '/',
    '/?tab=unanswered',
    site.seed.threadUrl,
    '/tags/billing',
    '/search?q=billing+address',
    '/search?q=',
    `/u/${ids.bruno}/bruno`,
    '/login',
    '/register',
    '/reset-password',
    '/rules',
    '/no/such/page',
  ];
  const memberPages = [
    '/',
    site.seed.threadUrl,
    '/ask',
    '/search?q=invoice',
    '/account',
    '/account/flags',
    '/notifications',
    '/account/email',
    `/posts/${ids.answer}/edit`,
    `/posts/${ids.answer}/revisions`,
    `/posts/${ids.question}/flag`,
    `/u/${ids.bruno}/bruno`,
  ];
  const ownerPages = [
    site.seed.threadUrl,
    '/review',
    '/staff/queue',
    '/staff/queue?state=done',
    '/insights',
    '/admin/business-hours',
    '/admin/audit',
    '/admin/team',
    '/admin/categories',
    '/?category=billing',
    '/admin/community',
    '/admin/invites',
    `/admin/users/${ids.bruno}`,
  ];
  const guest = await site.visitor();
  const member = await site.visitor();
  await logIn(member.page, 'bruno');
  const owner = await site.visitor();
  await logIn(owner.page, 'olivia');
  const failures = [
    ...(await auditPages('guest', guest.page, guestPages)),
    ...(await auditPages('member', member.page, memberPages)),
    ...(await auditPages('owner', owner.page, ownerPages)),
  ];
  assert.deepEqual(failures, []);
  for (const v of [guest, member, owner]) await v.context.close();
});

/** Presses Tab until `wanted` holds for the focused element; each stop must show a focus ring. */
async function tabTo(page, wanted, limit = 60) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return {
        text: (el.getAttribute('aria-label') || el.innerText || el.value || '').trim(),
        tag: el.tagName.toLowerCase(),
        id: el.id,
        ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        onScreen: box.width > 0 && box.height > 0,
      };
    });
    assert.ok(focused.ring, `no visible focus ring on <${focused.tag}> "${focused.text}"`);
    assert.ok(focused.onScreen, `focused <${focused.tag}> "${focused.text}" is not on screen`);
    if (wanted(focused)) return focused;
  }
  throw new Error(`not reached with ${limit} presses of Tab`);
}

test('the keyboard alone skips to the content, votes, comments and answers', async () => {
  const { context, page } = await site.visitor();
  await logIn(page, 'olivia');
  await page.goto(site.seed.threadUrl);

  const skip = await tabTo(page, () => true, 1);
  assert.equal(skip.text, 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'content');

  await tabTo(page, (f) => f.text.includes('Vote up'));
  await page.keyboard.press('Enter');
  await page.locator('.answer .votes .score').filter({ hasText: '1' }).waitFor();

  await tabTo(page, (f) => f.tag === 'textarea' && f.id === 'body');
  await page.keyboard.type('Answered with the keyboard only.');
  await tabTo(page, (f) => f.text === 'Post your answer', 3);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.match(await page.locator('.answers').innerText(), /Answered with the keyboard only\./);

  await page.goto(site.seed.threadUrl);
  await tabTo(page, (f) => f.text === 'Add a comment');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'TEXTAREA', 'the comment form opens with its field focused');
  await page.keyboard.type('A comment typed without a mouse.');
  await tabTo(page, (f) => f.text === 'Add comment', 3);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.match(await page.locator('.question .comments').innerText(), /A comment typed without a mouse\./);
  await context.close();
});

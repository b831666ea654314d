// The core flows with JavaScript turned off: every action is a plain form.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { answer, community, logIn, logOut, register } from '../lib/browser.mjs';

const site = community();

test('a guest reads a thread without JavaScript', async () => {
  const { context, page } = await site.visitor({ javaScript: false });
  await page.goto('/');
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('link', { name: 'How do I change the billing address on an invoice?' }).click(),
  ]);
  assert.equal(new URL(page.url()).pathname, site.seed.threadUrl);
  assert.match(await page.locator('.question .prose').innerText(), /old address/);
  assert.match(await page.locator('.answer .prose').innerText(), /Account → Billing/);
  await context.close();
});

test('a member signs up, logs in, asks (with the similar-questions step), answers, votes and comments without JavaScript', async (t) => {
  const { context, page } = await site.visitor({ javaScript: false });
  let threadUrl;

  await t.test('sign up and log in', async () => {
    await register(page, site.stoa, 'nadia');
    await logOut(page);
    await logIn(page, 'nadia');
    assert.equal((await page.locator('.whoami').innerText()).trim(), 'nadia');
  });

  await t.test('the first submission shows similar questions and keeps what was typed', async () => {
    await page.goto('/ask');
    // Typed key by key: with JavaScript this would fetch suggestions and mark them as shown.
    await page.getByLabel('Title').pressSequentially('Billing address on the invoice is wrong', { delay: 10 });
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#similar-questions').isVisible(), false, 'no script ran');
    await page.getByLabel('Details').fill('The invoice shows our **previous** address.');
    await page.getByLabel('Category').selectOption({ label: 'Billing' });
    await page.getByLabel('Tags').fill('invoices');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Post your question' }).click()]);
    assert.equal(new URL(page.url()).pathname, '/ask');
    const similar = page.locator('#similar-questions');
    assert.equal(await similar.isVisible(), true);
    assert.equal(await similar.getByRole('link', { name: 'How do I change the billing address on an invoice?' }).count(), 1);
    assert.equal(await page.getByLabel('Title').inputValue(), 'Billing address on the invoice is wrong');
    assert.equal(await page.getByLabel('Details').inputValue(), 'The invoice shows our **previous** address.');
    assert.equal(await page.getByLabel('Tags').inputValue(), 'invoices');

    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Post your question' }).click()]);
    threadUrl = new URL(page.url()).pathname;
    assert.match(threadUrl, /^\/q\/\d+\//);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Billing address on the invoice is wrong');
    assert.equal(await page.locator('.question .prose strong').innerText(), 'previous');
  });

  await t.test('answering and voting are forms that reload the page', async () => {
    await answer(page, site.seed.threadUrl, 'Also check the **tax details** page.');
    const mine = page.locator('.answer').filter({ hasText: 'tax details' });
    assert.equal(await mine.count(), 1);
    const other = page.locator('.answer').filter({ hasText: 'Account → Billing' });
    await Promise.all([page.waitForNavigation(), other.getByRole('button', { name: 'Vote up' }).click()]);
    assert.equal(await page.locator('.answer').filter({ hasText: 'Account → Billing' }).locator('.votes .score').innerText(), '1');
  });

  await t.test('"Add a comment" leads to a page with the form, which comes back to the post', async () => {
    const other = page.locator('.answer').filter({ hasText: 'Account → Billing' });
    await Promise.all([page.waitForNavigation(), other.getByRole('link', { name: 'Add a comment' }).click()]);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Add a comment');
    await page.getByLabel('Comment').fill('Worked for us, *thanks*.');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add comment' }).click()]);
    assert.equal(new URL(page.url()).pathname, site.seed.threadUrl);
    const comments = page.locator('.answer').filter({ hasText: 'Account → Billing' }).locator('.comments');
    assert.match(await comments.innerText(), /Worked for us, thanks\./);
  });

  assert.ok(threadUrl);
  await context.close();
});

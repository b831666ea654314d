// The whole life of a question in a real browser with JavaScript on: sign-up and address
// confirmation, asking (with similar questions shown while typing), answering, commenting,
// voting in place, the asker's notifications, accepting, a staff answer with its badge, a spam post hidden from the
// review queue, logging out.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { answer, appoint, ask, community, createCategory, logIn, logOut, register } from '../lib/browser.mjs';
import { PASSWORD } from '../lib/stoa.mjs';

const site = community({ seeded: false });

test('a question from sign-up to solved, moderated, with JavaScript', async (t) => {
  const owner = await site.visitor();
  const alice = await site.visitor();
  const bruno = await site.visitor();
  let threadUrl;

  await t.test('the owner sets up categories and a first question', async () => {
    site.stoa.command(['admin', 'create-owner', '--username', 'olivia', '--email', 'olivia@example.com'], `${PASSWORD}\n`);
    const { page } = owner;
    await logIn(page, 'olivia');
    await createCategory(page, 'Billing', 'Invoices and payments.');
    assert.equal(await page.getByLabel('Name of Billing').inputValue(), 'Billing');
    await ask(page, {
      title: 'How do I change the billing address on an invoice?',
      body: 'Our company moved and the old address still shows on invoices.',
      category: 'Billing',
      tags: 'billing invoices',
    });
    await page.getByRole('heading', { level: 1, name: 'How do I change the billing address on an invoice?' }).waitFor();
  });

  await t.test('a customer signs up, confirms the address, logs out and in again', async () => {
    const { page } = alice;
    await register(page, site.stoa, 'alice');
    assert.match(await page.locator('main').innerText(), /confirmed/i);
    await logOut(page);
    assert.equal(await page.getByRole('link', { name: 'Log in' }).count(), 1);
    await logIn(page, 'alice');
    assert.equal((await page.locator('.whoami').innerText()).trim(), 'alice');
  });

  await t.test('while she types a title, similar questions appear; then she asks', async () => {
    const { page } = alice;
    await page.goto('/ask');
    const similar = page.locator('#similar-questions');
    assert.equal(await similar.isVisible(), false);
    await page.getByLabel('Title').pressSequentially('Change the billing address on invoices', { delay: 20 });
    await similar.getByRole('link', { name: 'How do I change the billing address on an invoice?' }).waitFor();
    assert.equal(await similar.isVisible(), true);
    await page.getByLabel('Details').fill('Which page lets me edit the address printed on **new** invoices?');
    await page.getByLabel('Category').selectOption({ label: 'Billing' });
    await page.getByLabel('Tags').fill('billing');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Post your question' }).click()]);
    threadUrl = new URL(page.url()).pathname;
    assert.match(threadUrl, /^\/q\/\d+\//);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Change the billing address on invoices');
    assert.equal(await page.locator('.post-head a.tag').innerText(), 'billing');
    assert.equal(await page.locator('.question .prose strong').innerText(), 'new');
  });

  await t.test('a second member answers, comments and votes in place', async () => {
    const { page } = bruno;
    await register(page, site.stoa, 'bruno');
    await answer(page, threadUrl, 'Open **Account → Billing** and edit the address there.');
    assert.match(await page.locator('.answer .prose').innerText(), /Account → Billing/);
    assert.equal(await page.getByRole('heading', { name: '1 answer' }).count(), 1);

    await page.locator('.question').getByRole('link', { name: 'Add a comment' }).click();
    assert.equal(await page.locator('.question').getByLabel('Comment').evaluate((e) => e === document.activeElement), true, 'the form opened in place, its field focused');
    await page.locator('.question').getByLabel('Comment').fill('Does this change old invoices too?');
    await Promise.all([page.waitForNavigation(), page.locator('.question').getByRole('button', { name: 'Add comment' }).click()]);
    assert.match(await page.locator('.question .comments').innerText(), /Does this change old invoices too\?/);

    const question = page.locator('.question');
    const urlBefore = page.url();
    await question.getByRole('button', { name: 'Vote up' }).click();
    await question.locator('.votes .score').filter({ hasText: '1' }).waitFor();
    assert.equal(page.url(), urlBefore, 'the vote was sent in the background');
    assert.equal(await question.getByRole('button', { name: 'Vote up' }).getAttribute('aria-pressed'), 'true');
    await page.reload();
    assert.equal(await question.locator('.votes .score').innerText(), '1', 'the vote was saved');
  });

  await t.test("the server's mail worker tells the asker by mail", async () => {
    // The worker runs every few seconds in the background: wait for it, within bounds.
    const deadline = Date.now() + 20_000;
    let mail;
    while (!mail && Date.now() < deadline) {
      mail = site.stoa.mailsTo('alice@example.com').find((m) => m.includes('Subject: [Acme Community] bruno answered'));
      if (!mail) await new Promise((ok) => setTimeout(ok, 250));
    }
    assert.ok(mail, 'a mail about the answer reached alice');
    assert.match(mail, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
    assert.match(mail, new RegExp(`${site.stoa.base}${threadUrl}#post-\\d+`));
  });

  await t.test('the asker sees the answer on her bell and follows it', async () => {
    const { page } = alice;
    await page.goto('/');
    const bell = page.getByRole('link', { name: /^Notifications, \d+ unread$/ });
    assert.equal(await bell.getAttribute('aria-label'), 'Notifications, 2 unread', 'the answer and the comment');
    await Promise.all([page.waitForNavigation(), bell.click()]);
    const items = await page.locator('.notification-list li.unread').allInnerTexts();
    assert.match(items.join('\n'), /bruno answered Change the billing address on invoices/);
    assert.match(items.join('\n'), /bruno commented on Change the billing address on invoices/);
    await Promise.all([
      page.waitForNavigation(),
      page.locator('.notification-list li', { hasText: 'bruno answered' }).getByRole('link').click(),
    ]);
    assert.equal(new URL(page.url()).pathname, threadUrl);
    assert.match(new URL(page.url()).hash, /^#post-\d+$/);
    assert.equal(await page.getByRole('link', { name: 'Notifications, 1 unread' }).count(), 1);
  });

  await t.test('the asker accepts the answer and the question shows as solved', async () => {
    const { page } = alice;
    await page.goto(threadUrl);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Accept this answer' }).click()]);
    assert.equal(await page.locator('.accepted .accepted-label').innerText(), 'Accepted answer');
    assert.equal(await page.locator('.solved-badge').innerText(), 'Solved');
    await page.goto('/');
    const row = page.locator('li.question-row').filter({ hasText: 'Change the billing address on invoices' });
    assert.match(await row.locator('.stat.answers').textContent(), /1 answer, solved/);
    const other = page.locator('li.question-row').filter({ hasText: 'How do I change the billing address' });
    assert.doesNotMatch(await other.locator('.stat.answers').textContent(), /solved/);
  });

  await t.test("a staff member's answer shows the team badge and becomes the official one", async () => {
    const carol = await site.visitor();
    await register(carol.page, site.stoa, 'carol');
    await appoint(owner.page, 'carol', 'staff');
    await answer(carol.page, threadUrl, 'Staff here: old invoices keep the address they were issued with.');
    const staffAnswer = carol.page.locator('.answer').filter({ hasText: 'Staff here' });
    assert.equal(await staffAnswer.locator('.role-badge').textContent(), 'Acme Community team');
    const other = carol.page.locator('.answer').filter({ hasText: 'Account → Billing' });
    assert.equal(await other.locator('.role-badge').count(), 0);
    await Promise.all([
      carol.page.waitForNavigation(),
      staffAnswer.getByRole('button', { name: 'Mark as the official answer' }).click(),
    ]);
    const official = carol.page.locator('.answer.official');
    assert.equal(await official.locator('.official-label').textContent(), 'Official answer from the Acme Community team');
    assert.match(await official.innerText(), /Staff here/);
    await carol.context.close();
  });

  await t.test('a moderator hides a flagged spam post from the review queue', async () => {
    const eve = await site.visitor();
    await register(eve.page, site.stoa, 'eve');
    await answer(eve.page, threadUrl, 'CHEAP WATCHES!!! Best replica watches, write to me today for prices.');
    await eve.context.close();

    const { page } = alice;
    await page.goto(threadUrl);
    const spam = page.locator('.answer').filter({ hasText: 'CHEAP WATCHES' });
    await Promise.all([page.waitForNavigation(), spam.getByRole('link', { name: 'Flag' }).click()]);
    await page.getByLabel('Spam: it advertises something').check();
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Flag it' }).click()]);

    const dave = await site.visitor();
    await register(dave.page, site.stoa, 'dave');
    await appoint(owner.page, 'dave', 'moderator');
    await dave.page.goto('/review');
    const item = dave.page.locator('.review-item').filter({ hasText: 'CHEAP WATCHES' });
    await item.getByLabel(/Reason/).fill('Advertising');
    await Promise.all([dave.page.waitForNavigation(), item.getByRole('button', { name: 'Hide' }).click()]);
    assert.equal(await dave.page.locator('.review-item').filter({ hasText: 'CHEAP WATCHES' }).count(), 0);
    await dave.context.close();

    const guest = await site.visitor();
    await guest.page.goto(threadUrl);
    assert.doesNotMatch(await guest.page.locator('main').innerText(), /CHEAP WATCHES/);
    assert.match(await guest.page.locator('main').innerText(), /Staff here/);
    await guest.context.close();
  });

  await t.test('logging out ends the session', async () => {
    const { page } = alice;
    await page.goto(threadUrl);
    await logOut(page);
    await page.goto('/account');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.locator('.whoami').count(), 0);
  });

  await owner.context.close();
  await alice.context.close();
  await bruno.context.close();
});

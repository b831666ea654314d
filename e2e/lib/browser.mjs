// Debian's Chromium driven by Playwright, and the steps a person takes on Stoa's pages.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

import { PASSWORD, startStoa } from './stoa.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The system Chromium (a test tool's own browser download does not work here). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go: kept after the run as artifacts. */
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/**
 * Starts headless Chromium with a fresh profile (Playwright makes a new one per launch) and
 * without the background services that would phone home.
 */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A fresh browser context (no cookies) on the server; `javaScript: false` to browse without it. */
export async function visitor(browser, stoa, { javaScript = true, width = 1280, height = 900, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({
    baseURL: stoa.base,
    javaScriptEnabled: javaScript,
    viewport: { width, height },
    colorScheme,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** Submits the form the way a person does and waits for the page it leads to. */
async function submit(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

/** Signs up through the form, then confirms the address with the link from the file mailer. */
export async function register(page, stoa, username) {
  const email = `${username}@example.com`;
  await page.goto('/register');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await submit(page, page.getByRole('button', { name: 'Create my account' }));
  const link = stoa.mailLink(email, '/verify-email/');
  await page.goto(link);
  await submit(page, page.locator('main form button[type=submit]'));
  return email;
}

export async function logIn(page, login) {
  await page.goto('/login');
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await submit(page, page.getByRole('button', { name: 'Log in' }));
}

export async function logOut(page) {
  await submit(page, page.getByRole('button', { name: 'Log out' }));
}

/**
 * Asks a question and returns its address. Without JavaScript the server shows similar
 * questions on the first submission; the asker then posts again, as a person would.
 */
export async function ask(page, { title, body, category, tags = '' }) {
  await page.goto('/ask');
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Details').fill(body);
  await page.getByLabel('Category').selectOption({ label: category });
  await page.getByLabel('Tags').fill(tags);
  await submit(page, page.getByRole('button', { name: 'Post your question' }));
  if (new URL(page.url()).pathname === '/ask') {
    await submit(page, page.getByRole('button', { name: 'Post your question' }));
  }
  if (!/^\/q\/\d+/.test(new URL(page.url()).pathname)) {
    throw new Error(`asking did not lead to the question: ${page.url()}\n${await page.locator('main').innerText()}`);
  }
  return new URL(page.url()).pathname;
}

export async function answer(page, threadUrl, body) {
  await page.goto(threadUrl);
  await page.locator('.answer-form textarea[name=body]').fill(body);
  await submit(page, page.getByRole('button', { name: 'Post your answer' }));
}

/** Owner set-up: log in, create a category. */
export async function createCategory(page, name, description) {
  await page.goto('/admin/categories');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description', { exact: true }).fill(description);
  await submit(page, page.getByRole('button', { name: 'Create category' }));
}

export async function appoint(page, username, role) {
  await page.goto('/admin/team');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Role').selectOption(role);
  await submit(page, page.getByRole('button', { name: 'Appoint' }));
}

/**
 * A small community every page type can be shown with: the owner, two categories, a question
 * with tags, an answer with a comment, and a member.
 */
export async function seedCommunity(browser, stoa) {
  stoa.command(['admin', 'create-owner', '--username', 'olivia', '--email', 'olivia@example.com'], `${PASSWORD}\n`);
  const { context, page } = await visitor(browser, stoa);
  await logIn(page, 'olivia');
  await createCategory(page, 'Billing', 'Invoices, payments and plans.');
  await createCategory(page, 'Getting started', 'Installing and first steps.');
  const threadUrl = await ask(page, {
    title: 'How do I change the billing address on an invoice?',
    body: 'Our company moved. The **old address** still shows on new invoices.\n\n```\nInvoice #1042 — 1 Old Street\n```',
    category: 'Billing',
    tags: 'billing invoices',
  });
  await logOut(page);
  await register(page, stoa, 'bruno');
  await answer(page, threadUrl, 'Open **Account → Billing** and edit the address; new invoices use it at once.');
  await context.close();
  return { threadUrl, owner: 'olivia', member: 'bruno' };
}

/** Runs axe-core on the page and returns its serious and critical violations. */
export async function seriousViolations(page) {
  // A script given as a string to page.evaluate runs through the DevTools protocol, which the
  // page's Content-Security-Policy does not govern (eval inside the page would be refused).
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Saves a full-page screenshot under artifacts/ and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The hooks of a test file: before its tests, a server on a fresh database, a browser,
 * (unless `seeded` is false) the small community of `seedCommunity`, then `prepare(site)`;
 * after them, both stopped. The returned object is filled in by the time the tests run.
 * (One hook: Node runs a file's top-level `before` hooks without waiting for each other.)
 */
export function community({ seeded = true, prepare = async () => {} } = {}) {
  const site = {
    /** A fresh visitor of this file's server (see `visitor`). */
    visitor: (options) => visitor(site.browser, site.stoa, options),
  };
  before(async () => {
    site.stoa = await startStoa();
    site.browser = await launch();
    if (seeded) site.seed = await seedCommunity(site.browser, site.stoa);
    await prepare(site);
  });
  after(async () => {
    await site.browser?.close();
    await site.stoa?.stop();
  });
  return site;
}

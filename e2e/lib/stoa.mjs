// A real `stoa serve` on a fresh SQLite database in a temporary folder, for one test file.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The stoa binary under test: $E2E_STOA_BIN, or the debug build `cargo test` leaves behind. */
export const STOA_BIN = process.env.E2E_STOA_BIN ?? join(REPO, 'target/debug/stoa');

/** The password every account of the suite uses (long and unusual enough for the rules). */
export const PASSWORD = 'harbour lantern quietly 42';

/** The community's name, shown in the header. */
export const COMMUNITY = 'Acme Community';

async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/**
 * Starts a server and waits until it answers /healthz. New members' posting limits stay on
 * except the two a test robot trips by being fast: the minimum time to fill a form and the
 * gap between two posts (both tested over HTTP by the Rust suite).
 */
export async function startStoa() {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Only this file's settings: none of the caller's STOA_*, database or Meilisearch settings.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(STOA_|DATABASE_URL$|MEILI_)/.test(name)),
  );
  Object.assign(env, {
    STOA_DATA_DIR: join(dir, 'data'),
    STOA_BIND: `127.0.0.1:${port}`,
    STOA_BASE_URL: base,
    STOA_COMMUNITY_NAME: COMMUNITY,
    STOA_MIN_FILL_SECONDS: '0',
    STOA_POST_GAP_SECONDS: '[0, 0, 0, 0]',
    STOA_LOG_FORMAT: 'text',
    RUST_LOG: 'warn',
  });
  const stoa = {
    base,
    dir,
    dataDir: env.STOA_DATA_DIR,
    env,
    /** Runs a stoa command against this server's database; returns its output. */
    command(args, input = '') {
      const run = spawnSync(STOA_BIN, args, { cwd: dir, env, input, encoding: 'utf8' });
      if (run.status !== 0) {
        throw new Error(`stoa ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
      }
      return run.stdout;
    },
    /** Runs SQL on the SQLite file directly (for planting what the forms would refuse). */
    sql(statement) {
      const run = spawnSync('sqlite3', ['-batch', '-cmd', '.timeout 5000', join(env.STOA_DATA_DIR, 'stoa.db'), statement], {
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`sqlite3 failed: ${run.stderr}`);
      return run.stdout.trim();
    },
    /** Every mail written so far to `email` (the file mailer's .eml files), oldest first. */
    mailsTo(email) {
      const mailDir = join(env.STOA_DATA_DIR, 'mail');
      return readdirSync(mailDir)
        .filter((name) => name.endsWith('.eml'))
        .map((name) => join(mailDir, name))
        .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
        .map((file) => readFileSync(file, 'utf8'))
        .filter((text) => text.includes(`To: ${email}`) || text.includes(`<${email}>`));
    },
    /** The confirmation link of the newest mail sent to `email` (the file mailer's .eml). */
    mailLink(email, path) {
      for (const text of stoa.mailsTo(email).reverse()) {
        const match = text.match(new RegExp(`${base.replace(/[.]/g, '\\.')}${path}[A-Za-z0-9_-]+`));
        if (match) return match[0];
      }
      throw new Error(`no mail to ${email} with a ${path} link`);
    },
    stop: () => {},
  };

  const server = spawn(STOA_BIN, ['serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout.on('data', (chunk) => (log += chunk));
  server.stderr.on('data', (chunk) => (log += chunk));
  const exited = new Promise((ok) => server.once('exit', ok));
  stoa.log = () => log;
  stoa.stop = async () => {
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`stoa serve exited (${server.exitCode}):\n${log}`);
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stoa.stop();
      throw new Error(`stoa serve did not answer /healthz within 30 s:\n${log}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return stoa;
}

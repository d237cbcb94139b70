import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PostgresDatabase } from '../../src/providers/audit/postgres-database';
import { SqlAuditStore } from '../../src/providers/audit/sql-audit-store';
import { commandLines } from '../support/command-lines';
import { testServerAddress } from '../support/dev-server';
import { type RunningPostgres, startPostgres } from '../support/postgres';
import { quarterOfReleases } from '../support/review-fixture';
import { launchChromium } from '../support/browser';
import { artifactsDir } from '../support/artifacts';

/**
 * `gantry report` as people run it (the built CLI), against a real PostgreSQL seeded with
 * the quarter of releases in test/support/review-fixture.ts.
 */
let postgres: RunningPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

async function seeded(): Promise<{ url: string; home: string; cli: ReturnType<typeof commandLines> }> {
  const url = await postgres.createDatabase();
  const store = new SqlAuditStore(new PostgresDatabase(url));
  await store.append(quarterOfReleases());
  await store.close();
  const home = mkdtempSync(path.join(tmpdir(), 'gantry-report-cli-'));
  const env = { ...process.env, GANTRY_HOME: home, GANTRY_AUDIT_DATABASE_URL: url, TEMPORAL_ADDRESS: testServerAddress() };
  return { url, home, cli: commandLines(home, env, testServerAddress()) };
}

describe('gantry report (real CLI, real PostgreSQL)', () => {
  test('--quarter prints the figures and the findings; --format json and --out give the same data', async () => {
    const { home, cli } = await seeded();
    const text = await cli.gantry(['report', '--quarter', '2026Q4']);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^The audit chain is intact \(38 entries, head [0-9a-f]{64}\)\.$/);
    expect(lines[1]).toBe('Review of 2026Q4: 2026-10-01T00:00:00.000Z to 2027-01-01T00:00:00.000Z, 6 releases with a decision in it.');
    expect(text.stdout).toContain(
      'Overall: 5 deploys (0.05/day (medium)); lead time median 1d (high), p90 15d8h30m; change failure rate 33.3 % (low) (2 of 6); recovery median 20m (elite)',
    );
    expect(text.stdout).toContain('  release/cart/2.0.0: replaced by a rollback (release/cart/1.9.0) (2.0.0 double-charges) at 2026-11-15T09:00:00.000Z; recovered in 23h30m');
    expect(text.stdout).toContain('    release/cart/2.0.0 production: override by dana at 2026-11-15T08:10:00.000Z: the fix for the checkout outage; it passed change freeze F3 declared by carol (Black Friday)');
    expect(text.stdout).toContain('  refused attempts: 2');

    const out = path.join(home, 'review-2026Q4.json');
    const json = await cli.gantry(['report', '--quarter', '2026Q4', '--format', 'json', '--out', out]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);
    expect(report).toMatchObject({ period: { label: '2026Q4' }, releases: 6, dora: { overall: { deployments: 5, failures: 2, productionChanges: 6 } } });

    const cart = JSON.parse((await cli.gantry(['report', '--since', '2026-11-01T00:00:00+01:00', '--until', '2026-12-01T00:00:00Z', '--service', 'cart', '--format', 'json'])).stdout);
    expect(Object.keys(cart.dora.services)).toEqual(['cart']);
    expect(cart.dora.overall).toMatchObject({ deployments: 2, failures: 1 });
  });

  test('--html writes one page that opens with no network: its charts are drawn and its figures are the JSON\'s', async () => {
    const { home, cli } = await seeded();
    const html = path.join(home, 'review.html');
    const out = path.join(home, 'review.json');
    expect((await cli.gantry(['report', '--quarter', '2026Q4', '--html', html, '--out', out, '--format', 'json'])).code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched: Chart.js and the data are inline

    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      tab.on('request', (request) => requests.push(request.url()));
      await tab.goto(pathToFileURL(html).href);
      await tab.waitForFunction('window.gantryChartsDrawn === 4', undefined, { timeout: 20_000 });
      expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);

      // Every chart has pixels drawn on its canvas.
      // (A string: this project's TypeScript has no DOM types; it runs in the page.)
      const painted = (await tab.evaluate(`[...document.querySelectorAll('canvas')].map((c) => {
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let opaque = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) opaque += 1;
        return { id: c.id, opaque };
      })`)) as { id: string; opaque: number }[];
      expect(painted.map((p) => p.id)).toEqual(['deploys-per-month', 'lead-time-distribution', 'failure-rate-per-month', 'per-service']);
      for (const canvas of painted) expect(canvas.opaque).toBeGreaterThan(500);

      // The tables say what the JSON says.
      const services = await tab.$$eval('tr[data-service]', (rows) =>
        rows.map((row) => ({
          service: row.getAttribute('data-service'),
          deployments: Number(row.querySelector('[data-figure="deployments"]')!.textContent),
          failures: Number(row.querySelector('[data-figure="failures"]')!.getAttribute('data-failures')),
          changes: Number(row.querySelector('[data-figure="failures"]')!.getAttribute('data-changes')),
          leadTimeMedianMs: row.querySelector('[data-figure="leadTimeMedianMs"]')!.getAttribute('data-ms'),
        })),
      );
      expect(services).toEqual(
        Object.entries(report.dora.services as Record<string, { deployments: number; failures: number; productionChanges: number; leadTime: { medianMs?: number } }>).map(([service, f]) => ({
          service,
          deployments: f.deployments,
          failures: f.failures,
          changes: f.productionChanges,
          leadTimeMedianMs: String(f.leadTime.medianMs ?? ''),
        })),
      );
      expect(await tab.textContent('[data-figure="overall.deployments"]')).toBe(`${report.dora.overall.deployments} deploys · 0.05/day`);
      const shot = path.join(artifactsDir(), 'review-2026Q4.png');
      await tab.screenshot({ path: shot, fullPage: true });
      process.stdout.write(`review report screenshot: ${shot}\n`);
    } finally {
      await browser.close();
    }
  }, 120_000);

  test('an empty period is a report that says there is nothing', async () => {
    const { cli } = await seeded();
    const result = await cli.gantry(['report', '--quarter', '2025Q1']);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('Nothing happened in this period: no release, so no figures.') });
  });

  test('a chain that does not verify is said on the report\'s first line', async () => {
    const { url, cli } = await seeded();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('ALTER TABLE gantry_audit_entries DISABLE TRIGGER gantry_audit_entries_append_only');
    await client.query(`UPDATE gantry_audit_entries SET content = replace(content, '"by":"dana"', '"by":"mallory"') WHERE position = 11`);
    await client.end();
    const result = await cli.gantry(['report', '--quarter', '2026Q4']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('WARNING: the audit chain does NOT verify: entry 11 does not match its hash (its content was edited). These figures come from a record that was changed.');
  });

  test.each([
    [['report', '--quarter', '2026Q5'], /--quarter "2026Q5" is not a quarter; write it as 2026Q4/],
    [['report'], /say which period: --quarter 2026Q4, or --since and --until/],
    [['report', '--quarter', '2026Q4', '--since', '2026-10-01T00:00:00Z'], /--quarter cannot go with --since\/--until/],
    [['report', '--since', '2026-10-01', '--until', '2026-11-01T00:00:00Z'], /--since "2026-10-01" is not an ISO 8601 instant with a zone/],
    [['report', '--quarter', '2026Q4', '--format', 'pdf'], /--format "pdf" is not one of text, json/],
    [['report', '--quarter', '2026Q4', '--service', 'Web!'], /--service "Web!" is not a service name/],
  ])('bad input exits 2 naming the flag, and writes nothing: %j', async (args, message) => {
    const { home, cli } = await seeded();
    const out = path.join(home, 'out.json');
    expect(await cli.gantry([...args, '--out', out])).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
    expect(existsSync(out)).toBe(false);
  });

  test('an audit store that does not answer is exit 3 with the reason', async () => {
    const { home } = await seeded();
    const env = { ...process.env, GANTRY_HOME: home, GANTRY_AUDIT_DATABASE_URL: 'postgres://gantry@127.0.0.1:1/none', TEMPORAL_ADDRESS: testServerAddress() };
    const result = await commandLines(home, env, testServerAddress()).gantry(['report', '--quarter', '2026Q4']);
    expect(result).toMatchObject({ code: 3, stderr: expect.stringMatching(/the audit store \(PostgreSQL at .*\) does not answer: connect ECONNREFUSED/) });
  });
});

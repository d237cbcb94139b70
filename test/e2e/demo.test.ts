import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/dev/ports';

const GANTRY = path.resolve(__dirname, '..', '..', 'bin', 'gantry.js');

/**
 * `npm start` is the main job: on its own dev server it releases the example all at
 * once (held before production by a change freeze it declares, shows and ends), then a canary that reaches 100 %, a bad canary that is rolled back by itself,
 * a blue/green release, and schema releases on PGlite databases (a migration shipped
 * alone, then the code that uses it; a commit with both refused). It exits 0 only when
 * every outcome is the expected one.
 */
test('the demo shows an all-at-once release held by a change freeze until it is ended, a canary to 100 %, a bad canary rolled back, a blue/green release, and schema releases', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_HOME: mkdtempSync(path.join(os.tmpdir(), 'gantry-demo-')), GANTRY_TASK_QUEUE: 'demo-test' };
  delete env.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, [GANTRY, 'demo', '--port', String(port), '--ui-port', String(uiPort), '--approve-after', '1', '--freeze-for', '1', '--no-keep', '--board', '127.0.0.1:0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(/as expected {2}web 1\.0\.0: succeeded/);
  expectFreezeShownAndLifted(stdout, uiPort);
  // The demo approver signs the first approval with an SSH key of their own; ssh-keygen checks it as an auditor would.
  expect(stdout).toMatch(/^approved by bob \(signed with SHA256:\S+\) \(1 of 1\)$/m);
  expect(stdout).toMatch(/an auditor checks it without trusting Gantry:\n {2}ssh-keygen -Y verify -f \S+\/allowed_signers -I bob -n gantry -s \S+\/1-bob\.sig < \S+\/1-bob\.statement\n {2}→ Good "gantry" signature for bob with ED25519 key SHA256:\S+/);
  expect(stdout).toMatch(/as expected {2}web 1\.0\.0: the signed approval: verified by ssh-keygen/);
  // Every decision went to the audit store, and its chain is intact.
  expect(stdout).toMatch(/== The audit store \(gantry audit verify\)\n {2}intact: \d+ entries in PGlite .*, head /);
  expect(stdout).toMatch(/as expected {2}the audit store \(gantry audit verify\): intact/);
  expect(stdout).toMatch(/as expected {2}shop 1\.0\.1: succeeded/);
  // The bad canary is stopped by the early stop between two checks, with the figures behind it.
  expect(stdout).toMatch(/Release shop 1\.0\.2-bad rolled_back: canary at 10 %: early stop: the canary's errors are conclusively above stable's \(evidence \d/);
  expect(stdout).toMatch(/^ {4}canary \d+\/\d+ errors \(\d+(\.\d+)? %\) vs stable 0\/\d+ \(0 %\) in the \d+(\.\d)? s before the stop$/m);
  expect(stdout).toMatch(/as expected {2}store 1\.0\.1: succeeded/);
  expect(stdout).toMatch(/blueGreen: promoted, \d+ analyses/);
  expectSchemaReleases(stdout);
  expect(stdout).not.toMatch(/UNEXPECTED/);
  // It ends with what runs where, as the environment entities record it.
  expect(stdout).toMatch(/== What runs where now \(gantry env list\)\n {2}orders\/production\s+1\.0\.2 since/);
  expect(stdout).toMatch(/ {2}shop\/production\s+1\.0\.1 since/);
  expect(stdout).toMatch(/ {2}web\/staging\s+1\.0\.0 since/);
  expect(stdout).toMatch(/ {2}store\/production\s+1\.0\.1 since/);
  // The release board served the demo live, and its address closes the run.
  const board = /^Release board \(what runs where, releases in flight, live\): (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout)?.[1];
  expect(board).toBeDefined();
  expect(stdout).toContain(`\nRelease board: ${board} (it stops with the demo`);
  // It ends with the review of its own releases: the real gantry report, written as JSON and HTML.
  expect(stdout).toMatch(/== The review of the demo's releases \(gantry report\)\n {2}The audit chain is intact \(\d+ entries, head [0-9a-f]{64}\)\.\n {2}Review of \S+ to \S+, 10 releases with a decision in it\./);
  // The schema release is a change but no deploy; the refused release is a decision but no change.
  expect(stdout).toMatch(/^ {2}Overall: 7 deploys .*change failure rate 11\.1 % \(medium\) \(1 of 9\)/m);
  const html = /The whole review: (\S+\.html) \(charts, opens with no network\) and (\S+\.json)/.exec(stdout);
  expect(html).not.toBeNull();
  const review = JSON.parse(readFileSync(html![2], 'utf8'));
  expect({ releases: review.releases, deployments: review.dora.overall.deployments, failures: review.dora.overall.failures }).toEqual({ releases: 10, deployments: 7, failures: 1 });
  expect(readFileSync(html![1], 'utf8')).toContain('<canvas');
  expect(stdout).toMatch(/as expected {2}the review of the demo's releases \(gantry report\): written/);
}, 240_000);

/** The freeze the demo declares holds web 1.0.0 before production, is shown where people look, and is ended; then the release deploys. */
function expectFreezeShownAndLifted(stdout: string, uiPort: number): void {
  const held = 'change freeze F1 declared by carol \\(demo: change freeze\\) until [^;\\n]+';
  expect(stdout).toMatch(/^Declared F1 {2}web in production, declared \S+ by carol: demo: change freeze; until \S+$/m);
  // The release's own progress says what holds it, and so does what `gantry release status` prints.
  expect(stdout).toMatch(new RegExp(`^\\S+ {3}waiting for ${held}; it may deploy from `, 'm'));
  expect(stdout).toMatch(new RegExp(`What \`gantry release status web 1\\.0\\.0\` prints:\nRelease web 1\\.0\\.0 {2}\\(release/web/1\\.0\\.0\\)\n(.*\n)*? {2}waiting for ${held}; it may deploy from `));
  expect(stdout).toMatch(/The freezes in force \(gantry freeze list\):\n {2}F1 {2}web in production, /);
  expect(stdout).toMatch(/^Releases a freeze holds \(temporal workflow list --query 'GantryHold="freeze" AND ExecutionStatus="Running"'\): release\/web\/1\.0\.0$/m);
  // The UI's current details of the release's workflow name the hold.
  expect(stdout).toMatch(
    new RegExp(`current details say what holds it \\(http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/release%2Fweb%2F1\\.0\\.0/[^)]+\\):\n(.*\n)*? {2}Held before production until .+?: ${held}\n`),
  );
  expect(stdout).toMatch(/^Ended F1 {2}web in production, .*ended \S+ by carol \(the demo has shown the hold\); web 1\.0\.0 goes on\.$/m);
  // It enters production only once the freeze has ended.
  const at = (pattern: RegExp) => stdout.search(pattern);
  expect(at(/^\S+ web 1\.0\.0: production$/m)).toBeGreaterThan(at(/^Ended F1 /m));
  // The release's record: held by the freeze, then allowed; the demo checks it as an expected outcome.
  expect(stdout).toMatch(/its record: change_held before production \(freeze\) at \S+, change_allowed at \S+/);
  expect(stdout).toMatch(/as expected {2}web 1\.0\.0 under freeze F1: held before production, then let go/);
}

/** orders on PGlite databases: its first release, an expand migration as a schema release, the code that uses it, and a commit with both refused. */
function expectSchemaReleases(stdout: string): void {
  expect(stdout).toMatch(/^== 4\. Schema releases \(orders\)/m);
  expect(stdout).toMatch(/^ {2}GANTRY_DB_ORDERS_STAGING=postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\n {2}GANTRY_DB_ORDERS_PRODUCTION=postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/m);
  // The first release: in each environment 0001, then the code.
  expect(stdout).toMatch(/^Release orders 1\.0\.0 succeeded\n {2}change First release \(nothing ran before\): .*0001_create_orders\.sql\n {2}migration staging +0001_create_orders\.sql applied in \d+ ms, sha256 [0-9a-f]{12}…, approved by alice \(no approval required\)\n {2}migration production 0001_create_orders\.sql applied in \d+ ms, sha256 [0-9a-f]{12}…, approved by bob$/m);
  expect(stdout).toMatch(/as expected {2}orders 1\.0\.0: succeeded/);
  // The expand migration passes the rules, then ships alone: staging, approval, production, nothing built.
  expect(stdout).toMatch(/\$ gantry migrations check migrations\n {2}2 migrations in \S+: no findings/);
  expect(stdout).toMatch(
    /^Release orders 1\.0\.1 succeeded\n {2}change Schema release \(since 1\.0\.0 \([0-9a-f]{12}\)\): only migrations\/ changed, no code ships: 0002_add_orders_email\.sql\n {2}migration staging +0002_add_orders_email\.sql applied in \d+ ms, sha256 ([0-9a-f]{12})…, approved by alice \(no approval required\)\n {2}migration production 0002_add_orders_email\.sql applied in \d+ ms, sha256 \1…, approved by bob$/m,
  );
  expect(stdout).not.toMatch(/^\S+ orders 1\.0\.1: (test|artifact)$/m);
  expect(stdout).toMatch(/as expected {2}orders 1\.0\.1: the schema release: 0002_add_orders_email\.sql applied in staging, then production; no code shipped/);
  // The code that uses it is a code release: its migration was applied by the schema release.
  expect(stdout).toMatch(/^Release orders 1\.0\.2 succeeded\n {2}change Code release \(since 1\.0\.0 \([0-9a-f]{12}\)\); its migrations were applied by an earlier schema release: 0002_add_orders_email\.sql$/m);
  expect(stdout).toMatch(/as expected {2}orders 1\.0\.2: succeeded/);
  // Migrations and code in one commit: the real CLI is refused at admission, with how to split it.
  expect(stdout).toMatch(
    /\$ gantry release start --service orders --version 1\.0\.3 --commit [0-9a-f]{40} --author alice\n {2}gantry: orders 1\.0\.3 was not admitted: refused: orders 1\.0\.3 changes both its migrations \(migrations\/0003_add_orders_note\.sql\) and its code \(src\/orders\.js\) since 1\.0\.2 \([0-9a-f]{12}\), which runs in staging; .* Split it: first release a commit that changes only migrations\/ .*, then release the code\.\n {2}→ exit code 2$/m,
  );
  expect(stdout).toMatch(/as expected {2}orders 1\.0\.3: migrations and code in one commit: refused at admission \(exit code 2\), with how to split it/);
}

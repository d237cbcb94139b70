import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { reviewScheduleId } from '../../src/client/review-schedule';
import { previousQuarter } from '../../src/review/period';
import { eventually, startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * The quarterly review's Temporal Schedule on the dev server (the time-skipping server
 * has none), steered with the real `gantry review schedule`; triggered, it runs the
 * review workflow on the stack's worker, which writes the report into its state folder.
 */
let stack: E2EStack;
beforeAll(async () => {
  stack = await startE2EStack('review');
});
afterAll(async () => {
  await stack?.client.schedule.getHandle(reviewScheduleId(stack.taskQueue)).delete().catch(() => undefined);
  await stack?.stop();
});

test('enable shows when it runs; trigger runs the review now and writes its report; disable pauses it', async () => {
  const none = await stack.gantry(['review', 'schedule']);
  expect(none).toMatchObject({ code: 0, stdout: expect.stringMatching(/^No review Schedule on task queue \S+: gantry review schedule --enable creates one/) });

  const enabled = await stack.gantry(['review', 'schedule', '--enable']);
  expect(enabled.code).toBe(0);
  expect(enabled.stdout).toMatch(new RegExp(`^Review Schedule quarterly-review@${stack.taskQueue}: cron 0 6 1 1,4,7,10 \\* \\(UTC\\)$`, 'm'));
  const next = /^ {2}next: (.*)$/m.exec(enabled.stdout)![1].split(', ');
  expect(next).toHaveLength(4);
  for (const time of next) expect(time).toMatch(/^\d{4}-(01|04|07|10)-01T06:00:00\.000Z$/);

  const triggered = await stack.gantry(['review', 'schedule', '--trigger']);
  expect(triggered.code).toBe(0);
  const report = path.join(stack.home, 'reviews', `${previousQuarter(new Date()).label}.json`);
  await eventually('the triggered review\'s report', async () => (existsSync(report) ? true : undefined), 60_000);
  expect(JSON.parse(readFileSync(report, 'utf8'))).toMatchObject({ period: { label: previousQuarter(new Date()).label }, chain: { intact: true } });
  expect(existsSync(report.replace(/\.json$/, '.html'))).toBe(true);
  const shown = JSON.parse((await stack.gantry(['review', 'schedule', '--json'])).stdout);
  expect(shown.recent).toEqual([expect.objectContaining({ workflowId: expect.stringMatching(new RegExp(`^quarterly-review/${stack.taskQueue}`)) })]);

  const disabled = await stack.gantry(['review', 'schedule', '--disable']);
  expect(disabled.stdout).toMatch(/, PAUSED \(disabled with gantry review schedule --disable\)\n {2}next: none while paused/);
  const monthly = await stack.gantry(['review', 'schedule', '--enable', '--cron', '0 7 1 * *']);
  expect({ code: monthly.code, stderr: monthly.stderr }).toEqual({ code: 0, stderr: '' });
  expect(monthly.stdout).toMatch(/cron 0 7 1 \* \* \(UTC\)\n {2}next: \d{4}-\d\d-01T07:00:00\.000Z/);
}, 180_000);

test.each([
  [['review', 'schedule', '--cron', '0 6 * * *'], /--cron is read only with --enable/],
  [['review', 'schedule', '--enable', '--cron', 'every quarter'], /--cron "every quarter" is not a cron expression of five fields/],
  [['review', 'schedule', '--enable', '--disable'], /--enable and --disable together: choose one/],
])('bad input exits 2 and changes nothing: %j', async (args, message) => {
  const before = await stack.gantry(['review', 'schedule', '--json']);
  expect(await stack.gantry(args)).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
  expect((await stack.gantry(['review', 'schedule', '--json'])).stdout).toBe(before.stdout);
});

import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { declareFreeze, endFreeze, liftQuarantine, quarantineVersion, readCalendar } from '../../src/client/change-calendar-client';
import type { CalendarAuthority } from '../../src/policy/calendar-authority';
import { changeCalendarWorkflowId } from '../../src/shared/change-calendar';
import { CollectingAuditSink } from '../support/audit-collector';
import { fakeDelivery } from '../support/fake-delivery';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** dana owns the process for every service, wendy web's too; sam (group sre) practises everywhere, alice on web only. */
const roles: CalendarAuthority = {
  catalogue: { roles: { processOwners: ['dana'], practitioners: ['group:sre'], emergencyApprovers: [], auditors: [] }, groups: { sre: ['sam'] } },
  services: { web: { roles: { processOwners: ['dana', 'wendy'], practitioners: ['group:sre', 'alice'], emergencyApprovers: [], auditors: [] }, groups: { sre: ['sam'] } } },
};

const refusedWith = (message: string | RegExp) => ({ cause: { message: typeof message === 'string' ? message : expect.stringMatching(message) } });

describe('the change calendar answers to the roles in the catalogue (time-skipping server)', () => {
  test('freezes: practitioners of what they cover declare them; their declarer or its process owners end them; every refusal is recorded', async () => {
    const audit = new CollectingAuditSink();
    await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        await expect(declareFreeze(env.client, taskQueue, { by: 'alice', reason: 'incident' })).rejects.toMatchObject(
          refusedWith('alice may not declare a freeze of every service: not a practitioner or process owner of every service (practitioners: sam; process owners: dana)'),
        );
        await expect(declareFreeze(env.client, taskQueue, { by: 'mallory', reason: 'incident', services: ['web'] })).rejects.toMatchObject(
          refusedWith(/^mallory may not declare a freeze of web: not a practitioner or process owner of web \(practitioners: sam, alice; process owners: dana, wendy\)$/),
        );
        const web = (await declareFreeze(env.client, taskQueue, { by: 'alice', reason: 'checkout incident', services: ['web'] })).freeze;
        const everything = (await declareFreeze(env.client, taskQueue, { by: 'sam', reason: 'Black Friday' })).freeze;

        await expect(endFreeze(env.client, taskQueue, { id: web.id, by: 'sam' })).rejects.toMatchObject(
          refusedWith(`sam may not end freeze ${web.id}: not its declarer (alice) or a process owner of web (process owners: dana, wendy)`),
        );
        await expect(endFreeze(env.client, taskQueue, { id: everything.id, by: 'wendy' })).rejects.toMatchObject(
          refusedWith(`wendy may not end freeze ${everything.id}: not its declarer (sam) or a process owner of every service (process owners: dana)`),
        );
        expect((await readCalendar(env.client, taskQueue)).active.map((f) => f.id)).toEqual([web.id, everything.id]);

        expect((await endFreeze(env.client, taskQueue, { id: web.id, by: 'wendy', reason: 'fixed' })).ended).toMatchObject({ by: 'wendy' });
        expect((await endFreeze(env.client, taskQueue, { id: everything.id, by: 'sam' })).ended).toMatchObject({ by: 'sam' });
        expect((await readCalendar(env.client, taskQueue)).active).toEqual([]);

        const refusals = audit.of(changeCalendarWorkflowId(taskQueue)).flatMap((e) => (e.kind === 'freeze_refused' ? [[e.command, e.by, e.id ?? '-', e.seq > 0]] : []));
        expect(refusals).toEqual([
          ['start', 'alice', '-', true],
          ['start', 'mallory', '-', true],
          ['end', 'sam', web.id, true],
          ['end', 'wendy', everything.id, true],
        ]);
      },
      undefined,
      { audit, calendarRoles: roles },
    );
  });

  test('quarantines: practitioners of the service impose them; their author or its process owners lift them', async () => {
    const audit = new CollectingAuditSink();
    await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        const version = { service: 'web', version: '2.0.0' };
        await expect(quarantineVersion(env.client, taskQueue, { ...version, by: 'mallory', reason: 'looks odd' })).rejects.toMatchObject(
          refusedWith(/^mallory may not quarantine web 2\.0\.0: not a practitioner or process owner of web/),
        );
        await quarantineVersion(env.client, taskQueue, { ...version, by: 'alice', reason: 'corrupts carts' });
        await expect(liftQuarantine(env.client, taskQueue, { ...version, by: 'sam' })).rejects.toMatchObject(
          refusedWith('sam may not lift the quarantine of web 2.0.0: not its declarer (alice) or a process owner of web (process owners: dana, wendy)'),
        );
        expect((await readCalendar(env.client, taskQueue)).quarantined).toEqual([expect.objectContaining({ ...version, by: 'alice' })]);
        expect((await liftQuarantine(env.client, taskQueue, { ...version, by: 'dana', reason: 'carts repaired' })).lifted).toMatchObject({ by: 'dana' });

        const refusals = audit.of(changeCalendarWorkflowId(taskQueue)).flatMap((e) => (e.kind === 'quarantine_refused' ? [[e.command, e.by]] : []));
        expect(refusals).toEqual([
          ['quarantine', 'mallory'],
          ['unquarantine', 'sam'],
        ]);
      },
      undefined,
      { audit, calendarRoles: roles },
    );
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { flagsFile, openFileFlagStore } from '../../src/providers/flags/file-flag-store';
import type { FlagDefinition, FlagDocument } from '../../src/policy/flags/flag-document';
import { type FlagEvent, type Recorded, decisionsQuery } from '../../src/shared/decision-events';
import { type FlagChangeAnswer, type FlagView, flagWorkflowId } from '../../src/shared/flags';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';
import { type FlagApp, evaluateUntil, startFlagApp } from '../flags/flag-app';
import { allowList, percentage } from '../flags/fixtures';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Flags as durable entities, through the real `gantry` and `temporal` CLIs, a dev server
 * and a worker serving the flag sync endpoint: an application with the stock OpenFeature
 * SDK and flagd provider sees a flag set by `gantry flags set`, and sees it off once
 * `gantry flags kill` has returned. Refusals (no role, invalid file, unknown flag) exit 2
 * and change nothing; concurrent sets are all recorded, in the store's order.
 */
const FLAG = 'new-checkout';
const ann = { targetingKey: 'ann', email: 'ann@example.com' };

let stack: E2EStack;
let app: FlagApp;
beforeAll(async () => {
  stack = await startE2EStack('flags', {
    flagsSync: true,
    // ann edits flags, olga (on call) may only kill them, dana owns the process.
    editConfig: (yaml) => yaml.replace(/^services:\n/m, 'roles:\n  processOwners: [dana]\ngroups:\n  oncall: [olga]\nflags:\n  editors: [ann]\n  killers: [group:oncall]\nservices:\n'),
  });
  app = await startFlagApp({ sync: stack.flagsSync!, retryBackoffMaxMs: 300 });
});
afterAll(async () => {
  await app?.close();
  await stack?.stop();
});

const definition = (document: FlagDocument): FlagDefinition => document.flags[FLAG];
const writeJson = (name: string, value: unknown): string => {
  const file = path.join(stack.dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
};
const stored = (): FlagDocument => JSON.parse(readFileSync(flagsFile(stack.home), 'utf8')) as FlagDocument;
const show = async (): Promise<FlagView> => {
  const result = await stack.gantry(['flags', 'show', FLAG, '--json']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as FlagView;
};
const flagEvents = async (): Promise<Recorded<FlagEvent>[]> =>
  (await stack.client.workflow.getHandle(flagWorkflowId(FLAG, stack.taskQueue)).query(decisionsQuery)) as Recorded<FlagEvent>[];

describe('gantry flags, with the real CLI, a dev server and an application on the sync stream', () => {
  test('set: an allow-list, seen by the application as soon as the command returns', async () => {
    const file = writeJson('allow-list.json', definition(allowList()));
    const result = await stack.gantry(['flags', 'set', FLAG, '--file', file, '--as', 'ann', '--reason', 'internal users first', '--json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const answer = JSON.parse(result.stdout) as FlagChangeAnswer;
    expect(answer).toMatchObject({ key: FLAG, kind: 'set', summary: [expect.stringMatching(/^created: ENABLED/)] });

    // Pushed before the command returned: the first evaluations after it already answer from that revision.
    const seen = await evaluateUntil(app, FLAG, ann, (e) => e.revision === answer.revision, 1_000);
    expect(seen).toMatchObject({ value: true, variant: 'on' });
    expect(await app.evaluate(FLAG, { targetingKey: 'eve', email: 'eve@other.example' })).toMatchObject({ variant: 'off' });
    expect(stored().flags[FLAG]).toEqual(definition(allowList()));

    const listed = await stack.gantry(['flags', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^new-checkout {2}ENABLED, default off, with targeting {2}\(revision \d+, set .* by ann\)$/m);
  });

  test('a kill by someone without the role is refused (exit 2), recorded, and changes nothing', async () => {
    const before = stored();
    const result = await stack.gantry(['flags', 'kill', FLAG, '--as', 'mallory', '--reason', 'I do not like it']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/flag new-checkout not killed: mallory may not kill flag new-checkout: not a flag killer, editor or process owner \(killers: olga; editors: ann; process owners: dana\)/);
    expect(stored()).toEqual(before);
    expect(await app.evaluate(FLAG, ann)).toMatchObject({ variant: 'on' });
    expect((await show()).refusals).toEqual([expect.objectContaining({ command: 'kill', by: 'mallory' })]);
    // olga may kill but not set.
    const set = await stack.gantry(['flags', 'set', FLAG, '--file', writeJson('p.json', definition(percentage(5))), '--as', 'olga']);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/olga may not set flag new-checkout: not a flag editor or process owner/);
    expect(stored()).toEqual(before);
  });

  test.each([
    ['a default variant that is not a variant', { ...definition(allowList()), defaultVariant: 'of' }, /flags\.new-checkout\.defaultVariant: is "of", which is not a variant of this flag/],
    ['a state flagd does not know', { ...definition(allowList()), state: 'ON' }, /flags\.new-checkout\.state: must be one of "ENABLED", "DISABLED", got "ON"/],
    ['percentages that do not add up to 100', { ...definition(percentage(30)), targeting: { fractional: [['on', 30], ['off', 60]] } }, /flags\.new-checkout\.targeting\.fractional/],
    ['a file that is not JSON', '{ "state": ', /is not JSON/],
  ])('a set with %s is refused with the field named (exit 2) and changes nothing', async (_what, content, message) => {
    const before = stored();
    const result = await stack.gantry(['flags', 'set', FLAG, '--file', writeJson('bad.json', content), '--as', 'ann']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(stored()).toEqual(before);
  });

  test('an unknown flag: kill and show exit 2 and nothing is created', async () => {
    const kill = await stack.gantry(['flags', 'kill', 'no-such-flag', '--as', 'olga', '--reason', 'typo']);
    expect(kill.code).toBe(2);
    expect(kill.stderr).toMatch(/flag no-such-flag not killed: unknown flag no-such-flag/);
    const shown = await stack.gantry(['flags', 'show', 'no-such-flag']);
    expect(shown.code).toBe(2);
    expect(shown.stderr).toMatch(/unknown flag no-such-flag/);
    expect(stored().flags['no-such-flag']).toBeUndefined();
    const listed = JSON.parse((await stack.gantry(['flags', 'list', '--json'])).stdout) as FlagView[];
    expect(listed.map((view) => view.key)).toEqual([FLAG]);
  });

  test('two concurrent sets: both land, recorded in the order the store took them, no lost write', async () => {
    const [a, b] = await Promise.all([
      stack.gantry(['flags', 'set', FLAG, '--file', writeJson('p25.json', definition(percentage(25))), '--as', 'ann', '--reason', '25 %', '--json']),
      stack.gantry(['flags', 'set', FLAG, '--file', writeJson('p50.json', definition(percentage(50))), '--as', 'dana', '--reason', '50 %', '--json']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const answers = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as FlagChangeAnswer[];
    const [first, second] = [...answers].sort((x, y) => x.revision - y.revision);
    expect(second.revision).toBe(first.revision + 1);

    const sets = (await flagEvents()).filter((e): e is Recorded<Extract<FlagEvent, { kind: 'flag_set' }>> => e.kind === 'flag_set').slice(-2);
    expect(sets.map((e) => e.revision)).toEqual([first.revision, second.revision]);
    // Each change's "before" is what the previous one wrote: none was lost or overwritten unseen.
    expect(sets[1].before).toEqual(sets[0].after);
    expect(stored().flags[FLAG]).toEqual(second.definition);
    expect((await show()).definition).toEqual(second.definition);
  });

  test('kill: off for everyone by the time the command returns; recorded with who, why and what changed', async () => {
    await evaluateUntil(app, FLAG, ann, (e) => e.revision === stored().metadata?.gantryRevision, 1_000);
    const result = await stack.gantry(['flags', 'kill', FLAG, '--as', 'olga', '--reason', 'checkout errors up 4x']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Killed new-checkout \(store revision \d+\): targeting removed; every evaluation now gets variant off\.$/m);
    const revision = Number(/store revision (\d+)/.exec(result.stdout)![1]);

    const seen = await evaluateUntil(app, FLAG, ann, (e) => e.revision === revision, 1_000);
    expect(seen).toMatchObject({ value: false, variant: 'off' });
    const users = Array.from({ length: 200 }, (_, i) => ({ targetingKey: `user-${i}`, email: `user-${i}@corp.example` }));
    const variants = await Promise.all(users.map(async (user) => (await app.evaluate(FLAG, user)).variant));
    expect(new Set(variants)).toEqual(new Set(['off']));

    const view = await show();
    expect(view.killed).toMatchObject({ by: 'olga', reason: 'checkout errors up 4x', method: 'off_variant', offVariant: 'off' });
    expect(view.changes.map((c) => `${c.kind} by ${c.by}`)).toEqual(['set by ann', expect.stringMatching(/^set by (ann|dana)$/), expect.stringMatching(/^set by (ann|dana)$/), 'killed by olga']);
    const killed = (await flagEvents()).find((e) => e.kind === 'flag_killed');
    expect(killed).toMatchObject({ by: 'olga', reason: 'checkout errors up 4x', before: { targeting: expect.anything() }, after: { state: 'ENABLED', defaultVariant: 'off' } });
  });

  test('the same messages through the plain temporal CLI: update execute answers, a refused signal is recorded', async () => {
    const workflowId = flagWorkflowId(FLAG, stack.taskQueue);
    const file = JSON.stringify({ by: 'ann', reason: 'back on for internal users', definition: definition(allowList()) });
    const set = await stack.temporal(['workflow', 'update', 'execute', '-w', workflowId, '--name', 'set', '--input', file]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    await evaluateUntil(app, FLAG, ann, (e) => e.variant === 'on', 1_000);

    const kill = await stack.temporal(['workflow', 'update', 'execute', '-w', workflowId, '--name', 'kill', '--input', JSON.stringify({ by: 'olga', reason: 'again' })]);
    expect(kill.code).toBe(0);
    expect(kill.stdout).toMatch(/killed/);
    await evaluateUntil(app, FLAG, ann, (e) => e.variant === 'off', 1_000);

    // Validated by an activity (flagd's schema is not run in workflow code), the field named.
    const invalid = JSON.stringify({ by: 'ann', definition: { ...definition(allowList()), defaultVariant: 'of' } });
    const badSet = await stack.temporal(['workflow', 'update', 'execute', '-w', workflowId, '--name', 'set', '--input', invalid]);
    expect(badSet.code).not.toBe(0);
    expect(badSet.stderr).toMatch(/flags\.new-checkout\.defaultVariant: is "of", which is not a variant/);
    expect(stored().flags[FLAG].defaultVariant).toBe('off');

    const refused = await stack.temporal(['workflow', 'update', 'execute', '-w', workflowId, '--name', 'kill', '--input', JSON.stringify({ by: 'olga' })]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/reason: say why the flag is killed/);

    const signal = await stack.temporal(['workflow', 'signal', '-w', workflowId, '--name', 'kill', '--input', JSON.stringify({ by: 'mallory', reason: 'by signal' })]);
    expect(signal.code).toBe(0);
    await evaluateUntil(app, FLAG, ann, () => true);
    const view = await (async () => {
      for (let i = 0; i < 40; i++) {
        const v = await show();
        if (v.refusals.some((r) => r.by === 'mallory' && r.refusal.includes('may not kill'))) return v;
        await new Promise((r) => setTimeout(r, 100));
      }
      return show();
    })();
    expect(view.refusals.filter((r) => r.by === 'mallory')).toHaveLength(2);
  });

  test('a flag written into the store by hand is adopted on first use and can be killed; with no off variant it is DISABLED', async () => {
    const store = await openFileFlagStore({ file: flagsFile(stack.home), watch: false });
    try {
      await store.update((document) => ({ ...document, flags: { ...document.flags, 'legacy-banner': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' }, theme: { state: 'ENABLED', variants: { dark: 'dark', light: 'light' }, defaultVariant: 'dark' } } }));
    } finally {
      store.close();
    }
    await evaluateUntil(app, 'legacy-banner', ann, (e) => e.value === true, 2_000);
    const kill = await stack.gantry(['flags', 'kill', 'legacy-banner', '--as', 'dana', '--reason', 'old banner breaks layout', '--json']);
    expect(kill).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(kill.stdout)).toMatchObject({ kind: 'killed', method: 'off_variant', offVariant: 'off', summary: ['defaultVariant on → off'] });
    await evaluateUntil(app, 'legacy-banner', ann, (e) => e.value === false && e.variant === 'off', 1_000);
    const shown = JSON.parse((await stack.gantry(['flags', 'show', 'legacy-banner', '--json'])).stdout) as FlagView;
    expect(shown.changes.map((c) => c.kind)).toEqual(['adopted', 'killed']);

    const theme = await stack.gantry(['flags', 'kill', 'theme', '--as', 'olga', '--reason', 'contrast bug']);
    expect(theme.code).toBe(0);
    expect(theme.stdout).toMatch(/it has no off variant, so it is DISABLED: applications get the default in their code/);
    expect(stored().flags.theme).toEqual({ state: 'DISABLED', variants: { dark: 'dark', light: 'light' }, defaultVariant: 'dark' });
  });
});

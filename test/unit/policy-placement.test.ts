import { hostNotAnswering, hostTaskQueue, placeEnvironment, workerHostProblem } from '../../src/policy/placement';
import { workerHostFromEnv, WorkerSettingError } from '../../src/worker/worker-host';

describe('placeEnvironment', () => {
  test.each([
    // recorded host, the worker asking → where the environment runs, and whether this placed it
    [undefined, 'web-1', { host: 'web-1', claimed: true }],
    ['web-2', 'web-1', { host: 'web-2', claimed: false }],
    ['web-1', 'web-1', { host: 'web-1', claimed: false }],
  ])('recorded %p, asked by %p → %p', (recorded, claimant, expected) => {
    expect(placeEnvironment(recorded, claimant)).toEqual(expected);
  });
});

describe('hostTaskQueue', () => {
  test('is the shared queue with the host after it, so installations on other queues never share hosts', () => {
    expect(hostTaskQueue('gantry', 'web-1')).toBe('gantry/host/web-1');
    expect(hostTaskQueue('staging-platform', 'web-1')).toBe('staging-platform/host/web-1');
  });
});

describe('workerHostProblem', () => {
  test.each(['web-1', 'ip-10-0-3-17.eu-west-1.compute.internal', 'a', 'worker_2', 'A'.repeat(63)])('accepts %p', (host) => {
    expect(workerHostProblem(host, 'GANTRY_WORKER_HOST')).toBeUndefined();
  });

  test.each(['', 'web 1', '-web', '.web', 'web/1', 'web@1', 'A'.repeat(64), 'wéb'])('refuses %p, naming the variable and the fix', (host) => {
    const problem = workerHostProblem(host, 'GANTRY_WORKER_HOST');
    expect(problem).toContain(`GANTRY_WORKER_HOST ${JSON.stringify(host)} cannot name a worker host`);
    expect(problem).toContain('GANTRY_WORKER_HOST=worker-1');
  });
});

describe('workerHostFromEnv', () => {
  test('takes GANTRY_WORKER_HOST, trimmed, over the hostname', () => {
    expect(workerHostFromEnv({ GANTRY_WORKER_HOST: ' web-2 ' }, () => 'box')).toBe('web-2');
  });

  test('falls back to the hostname', () => {
    expect(workerHostFromEnv({}, () => 'box-7')).toBe('box-7');
  });

  test('refuses an unusable value with a setting error', () => {
    expect(() => workerHostFromEnv({ GANTRY_WORKER_HOST: 'web 2' }, () => 'box')).toThrow(WorkerSettingError);
  });

  test('says so when the hostname itself cannot be used', () => {
    expect(() => workerHostFromEnv({}, () => 'my box')).toThrow(/GANTRY_WORKER_HOST \(unset, so the hostname\) "my box"/);
  });
});

describe('hostNotAnswering', () => {
  test('names the host, since when, its queue, and what to do', () => {
    const text = hostNotAnswering({ host: 'web-2', taskQueue: 'gantry/host/web-2' }, '2026-12-01T10:00:00.000Z', 'startInstance waits for it');
    expect(text).toBe(
      'host web-2 is not answering since 2026-12-01T10:00:00.000Z (nobody polls gantry/host/web-2) while startInstance waits for it: ' +
        "start its worker again (gantry worker with GANTRY_WORKER_HOST=web-2 and that machine's GANTRY_HOME); Gantry keeps trying and carries on once it answers",
    );
  });
});

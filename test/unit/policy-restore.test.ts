import { instanceIdFor, planRestore } from '../../src/policy/environment-restore';
import type { Instance } from '../../src/shared/release';

const instance = (version: string, digestChar: string): Instance => {
  const digest = `sha256:${digestChar.repeat(64)}`;
  return {
    id: instanceIdFor(version, digest),
    service: 'web',
    environment: 'staging',
    artifact: { service: 'web', version, digest, sizeBytes: 1 },
    url: 'http://127.0.0.1:1',
    pid: 1,
  };
};

describe('planRestore', () => {
  const old = instance('1.4.1', 'a');
  const ours = instance('1.4.2', 'b');
  const later = instance('1.4.3', 'c');

  test.each<[string, Instance | undefined, Instance | undefined, ReturnType<typeof planRestore>]>([
    ['ours serves, an old version served before: bring it back, stop ours', old, ours, [{ kind: 'reactivate', instance: old }, { kind: 'stop', instanceId: ours.id }]],
    ['ours serves, nothing served before: stop ours', undefined, ours, [{ kind: 'stop', instanceId: ours.id }]],
    ['ours never got to serve: stop it, keep the old one', old, old, [{ kind: 'stop', instanceId: ours.id }]],
    ['someone else deployed since: only stop ours', old, later, [{ kind: 'stop', instanceId: ours.id }]],
  ])('%s', (_name, before, current, expected) => {
    expect(planRestore(before, current, ours.id)).toEqual(expected);
  });

  test('redeploying the instance that already served changes nothing', () => {
    expect(planRestore(ours, ours, ours.id)).toEqual([]);
  });

  test('instance IDs come from version and digest', () => {
    expect(instanceIdFor('1.4.2', `sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('1.4.2-0123456789ab');
  });
});

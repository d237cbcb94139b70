import { environmentPlan, gateProblems } from '../../src/policy/environment-plan';

const names = (plan: ReturnType<typeof environmentPlan>) => plan.map((e) => `${e.approvalFirst ? 'approval → ' : ''}${e.name}`);

describe('environmentPlan', () => {
  test('staging then production: approval in front of production, as before', () => {
    expect(names(environmentPlan({ staging: {}, production: {} }))).toEqual(['staging', 'approval → production']);
  });

  test('any number of environments, in the catalogue order; by default the approval is in front of the second', () => {
    expect(names(environmentPlan({ staging: {}, 'production-eu': {}, 'production-us': {} }))).toEqual(['staging', 'approval → production-eu', 'production-us']);
  });

  test('a single environment waits for approval before it', () => {
    expect(names(environmentPlan({ production: {} }))).toEqual(['approval → production']);
  });

  test('an explicit gate moves the approval; gate: none everywhere means no approval stage', () => {
    expect(names(environmentPlan({ staging: {}, canary: {}, production: { gate: 'approval' } }))).toEqual(['staging', 'canary', 'approval → production']);
    expect(names(environmentPlan({ staging: { gate: 'none' }, production: { gate: 'none' } }))).toEqual(['staging', 'production']);
  });
});

describe('gateProblems', () => {
  test('one approval gate per service', () => {
    expect(gateProblems({ staging: {}, production: { gate: 'approval' } })).toEqual([]);
    expect(gateProblems({ a: { gate: 'approval' }, b: { gate: 'approval' } })).toEqual([
      { environment: 'b', message: expect.stringMatching(/only one environment of a service may have gate: approval \(a has it already\)/) },
    ]);
  });
});

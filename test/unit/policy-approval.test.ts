import { approvalsSatisfied, checkApprove, checkReject, eligibleApprovers, groupsStillToApprove, type ApprovalContext } from '../../src/policy/approval';
import { checkAbort } from '../../src/policy/abort';
import type { ApprovalRecord } from '../../src/shared/release';

const approval = (by: string): ApprovalRecord => ({ by, at: '2026-11-26T00:00:00Z', via: 'update' });
const ctx = (over: Partial<ApprovalContext> = {}): ApprovalContext => ({
  rules: { approvers: ['alice', 'bob', 'carol'], minApprovals: 2 },
  author: 'alice',
  stage: 'approval',
  finished: false,
  approvalPassed: false,
  approvals: [],
  ...over,
});

describe('checkApprove', () => {
  test.each([
    ['an approver who is not the author', ctx(), 'bob', undefined],
    ['someone not in the approver list', ctx(), 'mallory', /mallory is not an approver of this service \(approvers: alice, bob, carol\)/],
    ['the author', ctx(), 'alice', /alice is the author of this release and cannot approve it/],
    ['an approver approving twice', ctx({ approvals: [approval('bob')] }), 'bob', /bob has already approved/],
    ['nobody', ctx(), '', /say who you are/],
    ['before the approval stage', ctx({ stage: 'staging' }), 'bob', /not waiting for approval yet \(it is in staging\)/],
    ['after the approval stage passed', ctx({ stage: 'production', approvalPassed: true }), 'bob', /approval stage has already passed/],
    ['after the release ended', ctx({ finished: true }), 'bob', /already ended/],
  ])('%s', (_name, context, by, refusal) => {
    const verdict = checkApprove(context, by);
    if (refusal === undefined) expect(verdict).toEqual({ ok: true });
    else expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(refusal) });
  });
});

describe('checkReject', () => {
  test('needs an approver and a reason', () => {
    expect(checkReject(ctx(), 'carol', 'breaks checkout')).toEqual({ ok: true });
    expect(checkReject(ctx(), 'carol', '  ')).toEqual({ ok: false, reason: expect.stringMatching(/needs a reason/) });
    expect(checkReject(ctx(), 'carol', undefined)).toEqual({ ok: false, reason: expect.stringMatching(/needs a reason/) });
    expect(checkReject(ctx(), 'mallory', 'no')).toEqual({ ok: false, reason: expect.stringMatching(/not an approver/) });
    expect(checkReject(ctx({ stage: 'done' }), 'carol', 'late')).toEqual({ ok: false, reason: expect.stringMatching(/already passed/) });
  });
});

describe('approvalsSatisfied', () => {
  test.each([
    [0, [], true],
    [1, [], false],
    [1, ['bob'], true],
    [2, ['bob'], false],
    [2, ['bob', 'bob'], false],
    [2, ['bob', 'carol'], true],
  ])('min %i with %j → %s', (minApprovals, by, expected) => {
    expect(approvalsSatisfied({ approvers: ['bob', 'carol'], minApprovals }, by.map(approval))).toBe(expected);
  });
});

describe('checkAbort', () => {
  test('anyone may abort a running release with a name and a reason', () => {
    expect(checkAbort(false, 'dave', 'incident')).toEqual({ ok: true });
    expect(checkAbort(false, '', 'incident')).toMatchObject({ ok: false, reason: expect.stringMatching(/who you are/) });
    expect(checkAbort(false, 'dave', '')).toMatchObject({ ok: false, reason: expect.stringMatching(/needs a reason/) });
    expect(checkAbort(true, 'dave', 'late')).toMatchObject({ ok: false, reason: expect.stringMatching(/already ended/) });
  });
});

describe('approval policies: groups, N of M with required groups, the starter, required inputs, escalation', () => {
  const groups = { payments: ['carol', 'dave'], sre: ['erin', 'frank'] };
  const policy = ctx({
    rules: { approvers: ['bob', 'group:payments'], minApprovals: 2, requiredGroups: ['payments'], require: { ticket: true }, groups },
    startedBy: 'ci-bot',
  });

  test.each([
    ['a member of a named group, with a ticket', 'carol', { ticket: 'CHG-1' }, undefined],
    ['a person named directly, with a ticket', 'bob', { ticket: 'CHG-1' }, undefined],
    ['without the ticket the policy requires', 'bob', {}, /requires a change ticket with every approval \(--ticket <id>\)/],
    ['a member of a group the policy does not name', 'erin', { ticket: 'CHG-1' }, /erin is not an approver of this service \(approvers: bob, carol, dave\)/],
  ])('%s', (_name, by, inputs, refusal) => {
    const verdict = checkApprove(policy, by, inputs);
    if (refusal === undefined) expect(verdict).toEqual({ ok: true });
    else expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(refusal) });
  });

  test('the person who started the release cannot approve it, even as an approver', () => {
    expect(checkApprove(ctx({ startedBy: 'bob' }), 'bob')).toEqual({ ok: false, reason: 'bob started this release and cannot approve it; ask another approver' });
  });

  test('a comment can be required', () => {
    const rules = { approvers: ['bob'], minApprovals: 1, require: { comment: true } };
    expect(checkApprove(ctx({ rules }), 'bob', { comment: ' ' })).toEqual({ ok: false, reason: expect.stringMatching(/requires a comment/) });
    expect(checkApprove(ctx({ rules }), 'bob', { comment: 'read the diff' })).toEqual({ ok: true });
  });

  test.each([
    [['bob'], false, ['payments']],
    [['bob', 'erin'], false, ['payments']],
    [['carol'], false, []],
    [['bob', 'carol'], true, []],
    [['carol', 'dave'], true, []],
  ])('2 of [bob, group:payments] with payments required, approved by %j → %s', (by, satisfied, missing) => {
    expect(approvalsSatisfied(policy.rules, by.map(approval))).toBe(satisfied);
    expect(groupsStillToApprove(policy.rules, by.map(approval))).toEqual(missing);
  });

  test('after an escalation the people it went to may approve too', () => {
    const escalated = { ...policy.rules, escalatedTo: ['group:sre'] };
    expect(eligibleApprovers(escalated)).toEqual(['bob', 'carol', 'dave', 'erin', 'frank']);
    expect(checkApprove({ ...policy, rules: escalated }, 'erin', { ticket: 'CHG-2' })).toEqual({ ok: true });
  });
});

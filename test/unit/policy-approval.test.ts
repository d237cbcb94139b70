import { approvalsSatisfied, checkApprove, checkReject, type ApprovalContext } from '../../src/policy/approval';
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

import { z } from 'zod';
import { durationField } from './duration';
import { GROUP_NAME_PATTERN, PeopleSchema } from './roles';

/**
 * `approval:` of a service (or of the environment that has the approval gate): who must
 * approve a deploy, how many, from which groups, with what, and what a timeout does.
 */

export const EscalationSchema = z
  .strictObject({
    escalateTo: PeopleSchema.min(1, 'name who the approval escalates to, e.g. [group:sre]').describe('Who may approve too once the first deadline passes.'),
    timeout: durationField('4h').default(4 * 3_600_000).describe('How long the escalated approval waits before the release expires.'),
  })
  .describe('On timeout, widen the approvers and wait again.');

export const ApprovalSchema = z
  .strictObject({
    approvers: PeopleSchema.default([]).describe('Who may approve: people, or group:<name> for every member of a group.'),
    minApprovals: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(1).describe('How many different approvers must approve (N of M).'),
    requiredGroups: z
      .array(z.string().regex(GROUP_NAME_PATTERN, 'a group name, as declared under groups:'))
      .default([])
      .describe('Groups each of which must give at least one of the approvals.'),
    require: z
      .strictObject({
        comment: z.boolean().default(false).describe('Every approval must say why (--comment).'),
        ticket: z.boolean().default(false).describe('Every approval must name a change ticket (--ticket).'),
        signature: z.boolean().default(false).describe("Every approval must be signed with one of the approver's SSH keys listed under signers: (--sign)."),
      })
      .default({ comment: false, ticket: false, signature: false })
      .describe('What an approver must give with an approval.'),
    timeout: durationField('24h').default(86_400_000).describe('How long a release waits for approval.'),
    onTimeout: z
      .union([z.literal('expire'), EscalationSchema])
      .default('expire')
      .describe('What the timeout does: expire (the release ends expired) or { escalateTo, timeout }.'),
    byAnalysis: z
      .boolean()
      .default(false)
      .describe(
        "The statistical judge approves instead of people when the rollout in the environment before the gate passed every scored check with no person stepping in (analysis.judge); otherwise people approve as above.",
      ),
  })
  .describe('Who must approve a deploy. The author and the person who started the release never count.');

export type ApprovalConfig = z.output<typeof ApprovalSchema>;

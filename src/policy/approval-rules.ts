import type { ServiceConfig } from '../config/service-catalogue';
import type { ApprovalRules } from './approval';
import { environmentPlan } from './environment-plan';

/**
 * The approval policy a release of this service answers to: the gated environment's own,
 * else the service's. Definitions admitted before approval policies grew fields lack
 * them; they read as the policy they were (approvers, N, expire on timeout).
 */
export interface ApprovalPolicy extends ApprovalRules {
  timeout: number;
  onTimeout: 'expire' | { escalateTo: string[]; timeout: number };
  /** The judge's verdicts on the previous environment's rollout may approve instead of people (see approval-by-analysis.ts). */
  byAnalysis?: boolean;
}

export function approvalPolicyOf(definition: Pick<ServiceConfig, 'approval' | 'environments'> & { groups?: ServiceConfig['groups'] }): ApprovalPolicy {
  const environments = definition.environments ?? {};
  const gated = environmentPlan(environments).find((e) => e.approvalFirst)?.name;
  const approval = (gated && environments[gated]?.approval) || definition.approval;
  return {
    approvers: approval.approvers,
    minApprovals: approval.minApprovals,
    requiredGroups: approval.requiredGroups ?? [],
    require: approval.require ?? {},
    groups: definition.groups,
    timeout: approval.timeout,
    onTimeout: approval.onTimeout ?? 'expire',
    byAnalysis: approval.byAnalysis ?? false,
  };
}

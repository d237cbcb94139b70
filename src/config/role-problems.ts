import { mergeGroups } from '../policy/authority';
import { environmentPlan } from '../policy/environment-plan';
import { type Groups, membersOf, undeclaredGroups } from '../policy/people';
import type { PathSegment } from './yaml-location';
import type { ApprovalConfig } from './approval-policy';
import type { RolesConfig } from './roles';
import type { Catalogue } from './service-catalogue';

/**
 * What the schema alone cannot see in roles and approvals: a `group:` that is not
 * declared, a required group that is not declared, more approvals required than there
 * are people to give them, an approval policy on an environment without the gate.
 */
export function catalogueRoleProblems(catalogue: Catalogue): { path: PathSegment[]; message: string }[] {
  const problems: { path: PathSegment[]; message: string }[] = [];
  const declared = (groups: Groups | undefined) => Object.keys(groups ?? {}).join(', ') || 'none';
  const checkList = (path: PathSegment[], list: readonly string[] | undefined, groups: Groups | undefined) => {
    for (const group of undeclaredGroups(list, groups)) {
      const index = (list ?? []).indexOf(`group:${group}`);
      problems.push({ path: [...path, index], message: `group:${group} is not declared; declare it under groups: (declared: ${declared(groups)})` });
    }
  };
  const checkRoles = (path: PathSegment[], roles: RolesConfig | undefined, groups: Groups | undefined) => {
    for (const role of ['practitioners', 'processOwners', 'emergencyApprovers', 'auditors'] as const) checkList([...path, role], roles?.[role], groups);
  };
  const checkApproval = (path: PathSegment[], approval: ApprovalConfig, groups: Groups | undefined) => {
    checkList([...path, 'approvers'], approval.approvers, groups);
    approval.requiredGroups.forEach((group, index) => {
      if (!groups?.[group]) problems.push({ path: [...path, 'requiredGroups', index], message: `${group} is not declared; declare it under groups: (declared: ${declared(groups)})` });
    });
    if (approval.onTimeout !== 'expire') checkList([...path, 'onTimeout', 'escalateTo'], approval.onTimeout.escalateTo, groups);
    const eligible = membersOf([...approval.approvers, ...approval.requiredGroups.map((g) => `group:${g}`)], groups).length;
    if (approval.minApprovals > 0 && eligible === 0) {
      problems.push({ path: [...path, 'approvers'], message: `minApprovals is ${approval.minApprovals} but no approvers are listed; add approvers or set minApprovals: 0` });
    } else if (approval.minApprovals > eligible) {
      problems.push({ path: [...path, 'minApprovals'], message: `needs ${approval.minApprovals} approvals but only ${eligible} approvers are listed; lower it or add approvers` });
    }
    if (approval.requiredGroups.length > approval.minApprovals) {
      problems.push({ path: [...path, 'requiredGroups'], message: `${approval.requiredGroups.length} groups must each approve but minApprovals is ${approval.minApprovals}; raise minApprovals to at least ${approval.requiredGroups.length}` });
    }
  };

  checkRoles(['roles'], catalogue.roles, catalogue.groups);
  for (const [name, service] of Object.entries(catalogue.services)) {
    const groups = mergeGroups(catalogue.groups, service.groups);
    const path: PathSegment[] = ['services', name];
    checkRoles([...path, 'roles'], service.roles, groups);
    checkApproval([...path, 'approval'], service.approval, groups);
    const gated = environmentPlan(service.environments).find((e) => e.approvalFirst)?.name;
    for (const [environment, settings] of Object.entries(service.environments)) {
      if (!settings.approval) continue;
      const at: PathSegment[] = [...path, 'environments', environment, 'approval'];
      if (environment !== gated) {
        problems.push({ path: at, message: `${environment} has no approval gate (${gated ? `${gated} has it` : 'no environment has one'}); move this approval policy there or give ${environment} gate: approval` });
      } else checkApproval(at, settings.approval, groups);
    }
  }
  return problems;
}

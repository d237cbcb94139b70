import { CatalogueSchema, type Catalogue } from './service-catalogue';
import { mergeChangePolicies } from '../policy/effective-change-policy';
import { mergeGroups, mergeRoles } from '../policy/authority';
import { catalogueRoleProblems } from './role-problems';
import { allowedKeysAt } from './schema-field';
import type { PathSegment, PointAt } from './yaml-location';
import { catalogueErrorMap, unknownKeyMessage } from './zod-issue-messages';

/** A schema problem with its path still structured, so it can be located in the YAML. */
export interface CatalogueIssue {
  path: PathSegment[];
  /** Unknown and invalid keys are shown at the key; everything else at the value. */
  pointAt: PointAt;
  message: string;
}

export type CatalogueValidation = { success: true; catalogue: Catalogue } | { success: false; issues: CatalogueIssue[] };

/**
 * Validates parsed YAML against the catalogue schema and explains every problem in
 * terms of the field: one issue per unknown key, each with a "did you mean" when a
 * known key is close.
 */
export function validateCatalogue(data: unknown): CatalogueValidation {
  const result = CatalogueSchema.safeParse(data, { error: catalogueErrorMap });
  if (result.success) {
    // Each service carries the catalogue's change policy and roles under its own: a release is admitted with its service's definition alone.
    const catalogue = result.data;
    // Group references and approval counts can only be checked once groups are known, and before they are merged (so a problem is shown where it is written).
    const problems = catalogueRoleProblems(catalogue);
    if (problems.length > 0) return { success: false, issues: problems.map(({ path, message }) => ({ path, pointAt: 'value', message })) };
    for (const service of Object.values(catalogue.services)) {
      const changePolicy = mergeChangePolicies(catalogue.changePolicy, service.changePolicy);
      if (changePolicy) service.changePolicy = changePolicy;
      const roles = mergeRoles(catalogue.roles, service.roles);
      if (roles) service.roles = roles;
      const groups = mergeGroups(catalogue.groups, service.groups);
      if (groups) service.groups = groups;
      const signers = mergeGroups(catalogue.signers, service.signers);
      if (signers) service.signers = signers;
    }
    return { success: true, catalogue };
  }
  const issues = result.error.issues.flatMap((issue): CatalogueIssue[] => {
    const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(CatalogueSchema, path);
      return issue.keys.map((key) => ({ path: [...path, key], pointAt: 'key', message: unknownKeyMessage(key, allowed) }));
    }
    return [{ path, pointAt: issue.code === 'invalid_key' ? 'key' : 'value', message: issue.message }];
  });
  return { success: false, issues };
}

/** `services.web.artifact.include[0]`: dots between keys, brackets for list positions and odd keys. */
export function formatPath(path: readonly PathSegment[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      if (!/^[A-Za-z_$][\w$-]*$/.test(segment)) return `[${JSON.stringify(segment)}]`;
      return index === 0 ? segment : `.${segment}`;
    })
    .join('');
}

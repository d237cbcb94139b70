import { z } from 'zod';
import { type Groups, undeclaredGroups } from '../policy/people';
import { PeopleSchema } from './roles';

/**
 * `flags:` in the platform's catalogue: who may change feature flags. Flags are the
 * platform's, not a service's (one flag store serves them all), so the section is at
 * catalogue level only.
 *
 * ```yaml
 * flags:
 *   editors: [ann, group:web-team]   # set a flag's definition (and kill it)
 *   killers: [group:oncall]          # kill a flag (turn it off at once)
 * ```
 * Without the section, anyone may set and kill flags (as anyone may steer a release while
 * no practitioners are declared); with it, only the people it lists and the catalogue's
 * process owners may.
 */
export const FlagRolesSchema = z
  .strictObject({
    editors: PeopleSchema.default([]).describe('Who may set a flag (`gantry flags set`): a new definition, targeting or percentage. Editors may also kill.'),
    killers: PeopleSchema.default([]).describe('Who may kill a flag (`gantry flags kill`): turn it off for everyone at once, with a reason. Give on-call people this role.'),
  })
  .describe("Who may change feature flags, besides the catalogue's process owners. Without this section anyone may.");

export type FlagRolesConfig = z.output<typeof FlagRolesSchema>;

/** A `group:` in the flag roles that `groups:` does not declare, as catalogue problems. */
export function flagRoleProblems(flags: FlagRolesConfig | undefined, groups: Groups | undefined): { path: (string | number)[]; message: string }[] {
  const declared = Object.keys(groups ?? {}).join(', ') || 'none';
  return (['editors', 'killers'] as const).flatMap((role) =>
    undeclaredGroups(flags?.[role], groups).map((group) => ({
      path: ['flags', role, (flags?.[role] ?? []).indexOf(`group:${group}`)],
      message: `group:${group} is not declared; declare it under groups: (declared: ${declared})`,
    })),
  );
}

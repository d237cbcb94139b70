import type { Verdict } from './approval';
import { type Groups, includes, membersOf } from './people';

/**
 * Who may change a feature flag, from the catalogue's `flags:` roles.
 *
 * Turning a flag off is a safety measure, so more people may do it than may change it:
 * - set: flag editors and process owners;
 * - kill: flag killers, editors and process owners.
 * A catalogue without a `flags:` section lets anyone do both (the local stack needs no
 * roles); the namespace's access control is what authenticates `by`.
 *
 * Example: flags { editors: [ann], killers: [group:oncall] }, groups { oncall: [olga] },
 * processOwners [dana]. olga kills → allowed; olga sets → refused: "olga may not set flag
 * new-checkout: not a flag editor or process owner (editors: ann; process owners: dana)".
 */

export type FlagAction = 'set' | 'kill';

export interface FlagAuthority {
  /** The catalogue's `flags:` section; absent: no flag roles declared. */
  flags?: { editors?: string[]; killers?: string[] };
  processOwners?: string[];
  groups?: Groups;
}

export function checkFlagRole(action: FlagAction, who: string | undefined, key: string, authority: FlagAuthority): Verdict {
  if (!who?.trim()) return { ok: false, reason: 'say who you are (by / --as)' };
  const { flags, processOwners, groups } = authority;
  if (!flags) return { ok: true };
  const allowed = [...(flags.editors ?? []), ...(processOwners ?? []), ...(action === 'kill' ? (flags.killers ?? []) : [])];
  if (includes(allowed, groups, who)) return { ok: true };
  const names = (list: string[] | undefined) => membersOf(list, groups).join(', ') || 'none';
  const lists = [
    ...(action === 'kill' ? [`killers: ${names(flags.killers)}`] : []),
    `editors: ${names(flags.editors)}`,
    `process owners: ${names(processOwners)}`,
  ].join('; ');
  const roles = action === 'kill' ? 'a flag killer, editor or process owner' : 'a flag editor or process owner';
  return { ok: false, reason: `${who} may not ${action} flag ${key}: not ${roles} (${lists}); the catalogue's flags: section names them` };
}

/**
 * Lists of people as the catalogue writes them: a person, or `group:<name>` for every
 * member of a declared group. Pure: the workflow, config validation and the CLI share it.
 *
 * Example: groups { sre: [alice, bob] }; [carol, group:sre] → carol, alice, bob.
 */

export const GROUP_REFERENCE = /^group:/;

export type Groups = Record<string, string[]>;

export function groupName(entry: string): string | undefined {
  return GROUP_REFERENCE.test(entry) ? entry.slice('group:'.length) : undefined;
}

/** Everyone a list names, groups expanded, each once, in the order written. */
export function membersOf(list: readonly string[] | undefined, groups: Groups | undefined): string[] {
  const members = (list ?? []).flatMap((entry) => {
    const group = groupName(entry);
    return group === undefined ? [entry] : (groups?.[group] ?? []);
  });
  return [...new Set(members)];
}

export function includes(list: readonly string[] | undefined, groups: Groups | undefined, who: string): boolean {
  return membersOf(list, groups).includes(who);
}

/** The groups a list names that are not declared. */
export function undeclaredGroups(list: readonly string[] | undefined, groups: Groups | undefined): string[] {
  return (list ?? []).flatMap((entry) => {
    const group = groupName(entry);
    return group !== undefined && !groups?.[group] ? [group] : [];
  });
}

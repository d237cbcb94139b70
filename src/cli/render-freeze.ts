import type { DeclaredFreeze } from '../shared/change-calendar';

/** "F1  web in production, declared … by carol: checkout incident; until ended": one freeze as `gantry freeze` prints it. */
export function describeFreeze(f: DeclaredFreeze): string {
  const scope = `${f.services ? f.services.join(', ') : 'every service'} in ${f.environments ? f.environments.join(', ') : 'every environment'}`;
  const until = f.ended ? `ended ${f.ended.at} by ${f.ended.by}${f.ended.reason ? ` (${f.ended.reason})` : ''}` : f.until ? `until ${f.until}` : 'until ended';
  return `${f.id}  ${scope}, declared ${f.declaredAt} by ${f.by}: ${f.reason}; ${until}`;
}

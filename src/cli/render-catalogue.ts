import type { CatalogueReport } from '../shared/catalogue-report';
import type { WebhookConfig } from '../config/notifications';

/** A webhook by its URL's origin only (a path may carry a token), its format, moments and signing. */
function webhookLine(webhook: WebhookConfig): string {
  const where = webhook.url ? (URL.canParse(webhook.url) ? new URL(webhook.url).origin : webhook.url) : `the URL in $${webhook.urlEnv}`;
  return `${webhook.format} to ${where} on ${webhook.events.join(', ')}${webhook.secretEnv ? `, signed with $${webhook.secretEnv}` : ', unsigned'}`;
}

/** `gantry catalogue show` as a person reads it: what is enforced, from where, and whether a change was refused. */
export function renderCatalogue(report: CatalogueReport, service?: string): string {
  const lines: string[] = [];
  const inForce = report.inForce;
  if (!inForce) {
    lines.push(`No catalogue is in force on worker ${report.worker}: ${report.location} never loaded, so every release is refused.`);
  } else {
    lines.push(`Catalogue in force: ${inForce.digest}${inForce.revision ? ` (commit ${inForce.revision})` : ''}`);
    lines.push(`  from ${report.location}, loaded ${inForce.loadedAt}, answered by worker ${report.worker}`);
    const names = Object.keys(inForce.services);
    if (service && names.length === 0) lines.push(`  it does not declare ${service}`);
    for (const name of names) {
      const { repository, directory, definition } = inForce.services[name];
      lines.push('', `${name}`);
      lines.push(`  repository   ${repository}${directory !== '.' ? ` (folder ${directory})` : ''}`);
      for (const [environment, settings] of Object.entries(definition.environments)) {
        lines.push(`  ${environment.padEnd(12)} ${settings.strategy} on ${typeof settings.target === 'string' ? settings.target : 'its own commands'}`);
      }
      const { approval } = definition;
      lines.push(
        `  approval     ${approval.minApprovals === 0 ? 'none required' : `${approval.minApprovals} of ${approval.approvers.join(', ')} within ${approval.timeout / 3_600_000} h`}`,
      );
      for (const webhook of definition.notifications?.webhooks ?? []) lines.push(`  webhook      ${webhookLine(webhook)}`);
    }
  }
  if (report.lastError) {
    lines.push('', `The last change was refused (${report.lastError.at})${inForce ? '; the catalogue above stays in force' : ''}:`);
    lines.push(...report.lastError.message.split('\n').map((line) => `  ${line}`));
  }
  return lines.join('\n');
}

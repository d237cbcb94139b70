import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { type NotificationFailure, notificationFailedSignal } from '../shared/notifications';
import type { AuditStore } from '../providers/audit/audit-store';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import { WebhookNotifier } from '../providers/notifications/webhook-notifier';

/**
 * The worker's webhook notifier: webhooks from the platform's catalogue in force, secrets
 * from the worker's environment, failures told to the release by signal and logged.
 * GANTRY_UI_URL (the Temporal UI's address, e.g. https://temporal.example.com) adds a
 * link to each notification.
 */
export function workerNotifier(catalogue: PlatformCatalogue, client: Client, auditStore: AuditStore, env: NodeJS.ProcessEnv = process.env): WebhookNotifier {
  return new WebhookNotifier({
    webhooksFor: (service) => catalogue.current().inForce?.catalogue.catalogue.services[service]?.notifications?.webhooks ?? [],
    env,
    report: async (releaseWorkflowId, failure) => {
      const handle = client.workflow.getHandle(releaseWorkflowId);
      try {
        await handle.signal(notificationFailedSignal, failure);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        await recordAfterTheEnd(client, auditStore, releaseWorkflowId, failure);
      }
    },
    log: { warn: (message, meta) => Runtime.instance().logger.warn(message, meta) },
    ...(env.GANTRY_UI_URL ? { uiUrl: env.GANTRY_UI_URL } : {}),
  });
}

/**
 * A release that has ended (its last notification failed, typically) records nothing
 * more, so the worker stores the failure beside its record: unnumbered, as a refused
 * update is, and keyed by its content, so telling it twice stores it once.
 */
async function recordAfterTheEnd(client: Client, auditStore: AuditStore, releaseWorkflowId: string, failure: NotificationFailure): Promise<void> {
  const { runId, type } = await client.workflow.getHandle(releaseWorkflowId).describe();
  await auditStore.append([
    {
      event: { kind: 'notification_failed', failure, seq: 0, at: failure.at, workflowId: releaseWorkflowId },
      origin: { namespace: client.options.namespace, workflowType: type, runId },
    },
  ]);
}

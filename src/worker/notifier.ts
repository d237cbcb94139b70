import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { notificationFailedSignal } from '../shared/notifications';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import { WebhookNotifier } from '../providers/notifications/webhook-notifier';

/**
 * The worker's webhook notifier: webhooks from the platform's catalogue in force, secrets
 * from the worker's environment, failures told to the release by signal and logged.
 * GANTRY_UI_URL (the Temporal UI's address, e.g. https://temporal.example.com) adds a
 * link to each notification.
 */
export function workerNotifier(catalogue: PlatformCatalogue, client: Client, env: NodeJS.ProcessEnv = process.env): WebhookNotifier {
  return new WebhookNotifier({
    webhooksFor: (service) => catalogue.current().inForce?.catalogue.catalogue.services[service]?.notifications?.webhooks ?? [],
    env,
    report: async (releaseWorkflowId, failure) => {
      await client.workflow.getHandle(releaseWorkflowId).signal(notificationFailedSignal, failure);
    },
    log: { warn: (message, meta) => Runtime.instance().logger.warn(message, meta) },
    ...(env.GANTRY_UI_URL ? { uiUrl: env.GANTRY_UI_URL } : {}),
  });
}

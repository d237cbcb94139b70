import { defineSignal } from '@temporalio/workflow';

/**
 * Notifications: what a service's webhooks may subscribe to, and how the worker tells a
 * release that one of its notifications could not be delivered (so its status shows it).
 */

/** The moments of a release a webhook may be told of. */
export const NOTIFICATION_EVENTS = ['approval', 'hold', 'emergency', 'rollback', 'succeeded', 'failed'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** How a webhook's body is written: Slack's incoming-webhook shape (`text` and `blocks`), or plain JSON. */
export const WEBHOOK_FORMATS = ['slack', 'json'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * A notification that was given up on after its retries. It names the webhook by its
 * place in the catalogue and its origin only: a webhook's path may carry a token (Slack's
 * do), and this travels into the release's history.
 */
export interface NotificationFailure {
  /** `notifications.webhooks[<index>]` of the service. */
  webhook: number;
  /** Scheme, host and port of its URL, e.g. `https://hooks.slack.com`. */
  origin: string;
  /** What the notification was about. */
  event: NotificationEvent;
  /** The decision it reported (`approval_opened`, `finished`, …) and its number in the release's or rollout's record. */
  kind: string;
  seq: number;
  attempts: number;
  /** The last attempt's answer: an HTTP status, a timeout, a refused connection, a secret the worker does not have. */
  error: string;
  /** ISO 8601, when the worker gave up. */
  at: string;
}

/** Sent by the worker that gave up on a notification of this release; recorded as `notification_failed`. */
export const notificationFailedSignal = defineSignal<[NotificationFailure]>('notificationFailed');

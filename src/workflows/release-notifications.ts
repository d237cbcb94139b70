import { setHandler } from '@temporalio/workflow';
import { NOTIFICATION_EVENTS, type NotificationFailure, notificationFailedSignal } from '../shared/notifications';
import type { ReleaseState } from './release-state';

/**
 * How many undelivered notifications a release records: a release has a handful of
 * notified moments per webhook, so more than this is someone sending the signal by hand.
 */
const MAX_RECORDED_FAILURES = 50;

/**
 * The worker's notifier tells the release when it gave up on a notification, so the
 * status and the UI show it. Recording it emits no command (no search attribute
 * changes), so it needs no patch, and the release never waits for it.
 */
export function registerNotificationReports(release: ReleaseState): void {
  setHandler(notificationFailedSignal, (failure) => {
    const recorded = release.status.notificationFailures?.length ?? 0;
    if (!isFailureReport(failure) || recorded >= MAX_RECORDED_FAILURES) return;
    release.record({ kind: 'notification_failed', failure: pickFailure(failure) });
  });
}

/** A signal anyone may send: only a report of the worker's shape is recorded. */
function isFailureReport(value: unknown): value is NotificationFailure {
  const f = value as Partial<NotificationFailure> | null;
  return (
    typeof f === 'object' &&
    f !== null &&
    typeof f.webhook === 'number' &&
    typeof f.origin === 'string' &&
    (NOTIFICATION_EVENTS as readonly unknown[]).includes(f.event) &&
    typeof f.kind === 'string' &&
    typeof f.seq === 'number' &&
    typeof f.attempts === 'number' &&
    typeof f.error === 'string' &&
    typeof f.at === 'string'
  );
}

/** Only the known fields, each cut short: nothing else a sender adds reaches the record. */
function pickFailure(f: NotificationFailure): NotificationFailure {
  const cut = (text: string) => text.slice(0, 500);
  return { webhook: f.webhook, origin: cut(f.origin), event: f.event, kind: cut(f.kind), seq: f.seq, attempts: f.attempts, error: cut(f.error), at: cut(f.at) };
}

import type { Notice } from '../../policy/notification-events';
import type { WebhookFormat } from '../../shared/notifications';
import { type UiLocation, workflowUiLink } from '../../shared/temporal-ui';

function releaseLink(notice: Notice, ui: UiLocation | undefined): string | undefined {
  return ui ? workflowUiLink(ui, notice.releaseWorkflowId) : undefined;
}

/** The plain JSON document: every fact of the notice, flat, for receivers that act on it. */
function jsonBody(notice: Notice, link: string | undefined): Record<string, unknown> {
  const { text, ...facts } = notice;
  return { source: 'gantry', ...facts, text, ...(link ? { url: link } : {}) };
}

/** Slack's incoming-webhook shape: `text` (notifications, and clients without blocks) and `blocks` for the message itself. */
function slackBody(notice: Notice, link: string | undefined): Record<string, unknown> {
  const context = [`release \`${notice.releaseWorkflowId}\``, `event *${notice.event}*`, ...(link ? [`<${link}|open in Temporal UI>`] : [])].join(' · ');
  return {
    text: notice.text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${notice.service} ${notice.version}*: ${notice.text}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context }] },
    ],
  };
}

/** The request body a webhook of `format` is sent for `notice`. */
export function webhookBody(notice: Notice, format: WebhookFormat, ui?: UiLocation): string {
  const link = releaseLink(notice, ui);
  return JSON.stringify(format === 'slack' ? slackBody(notice, link) : jsonBody(notice, link));
}

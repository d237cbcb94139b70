import type { Client } from '@temporalio/client';
import { askPlatformCatalogue } from '../client/catalogue-client';
import { readCalendar } from '../client/change-calendar-client';
import { listEnvironments } from '../client/environment-client';
import type { ServiceConfig } from '../config/service-catalogue';
import type { CalendarView } from '../shared/change-calendar';
import type { EnvironmentRecord } from '../shared/environment';
import { statusQuery } from '../shared/messages';
import type { UiLocation } from '../shared/temporal-ui';
import { type BoardView, type RunningRelease, buildBoardView } from './board-view';

/** How long the board keeps the catalogue it asked a worker for: each question is a short workflow (in the UI's list), and the rules change seldom. */
const CATALOGUE_TTL_MS = 60_000;

export interface BoardSource {
  client: Client;
  taskQueue: string;
  ui?: UiLocation;
  /** How long a worker has to say which catalogue it enforces. */
  catalogueTimeoutMs?: number;
}

/**
 * Reads the board from Temporal: the environment entities, the running releases (their
 * status queries), the change calendar and, once a minute at most, the catalogue in force.
 * Whatever cannot be read is named in `problems` and the rest is shown.
 */
export class BoardReader {
  private catalogue?: { digest: string; services: Record<string, ServiceConfig>; readAtMs: number };

  constructor(private readonly source: BoardSource) {}

  async read(): Promise<BoardView> {
    const { client, taskQueue } = this.source;
    const problems: string[] = [];
    const failed = (what: string) => (err: unknown) => {
      problems.push(`${what}: ${(err as Error).message}`);
      return undefined;
    };
    const [environments, releases, calendar, catalogue] = await Promise.all([
      listEnvironments(client, taskQueue).catch(failed('environments')) as Promise<EnvironmentRecord[] | undefined>,
      this.runningReleases().catch(failed('releases in flight')) as Promise<RunningRelease[] | undefined>,
      readCalendar(client, taskQueue).catch(failed('change calendar')) as Promise<CalendarView | undefined>,
      this.catalogueInForce().catch(failed('catalogue')),
    ]);
    return buildBoardView(
      {
        taskQueue,
        ...(this.source.ui ? { ui: this.source.ui } : {}),
        environments: environments ?? [],
        releases: releases ?? [],
        calendar: calendar ?? { active: [], ended: [] },
        ...(catalogue ? { catalogue } : {}),
        problems,
      },
      Date.now(),
    );
  }

  private async runningReleases(): Promise<RunningRelease[]> {
    const query = `WorkflowType = "releaseWorkflow" AND ExecutionStatus = "Running" AND TaskQueue = "${this.source.taskQueue.replace(/"/g, '')}"`;
    const listed: { workflowId: string; runId: string; startedAt: string }[] = [];
    for await (const wf of this.source.client.workflow.list({ query })) listed.push({ workflowId: wf.workflowId, runId: wf.runId, startedAt: wf.startTime.toISOString() });
    return Promise.all(
      listed.map(async (r) => {
        // A release that ended between the list and the query, or whose worker is away, is shown without its status.
        const status = await this.source.client.workflow
          .getHandle(r.workflowId, r.runId)
          .query(statusQuery)
          .catch(() => undefined);
        return status ? { ...r, status } : r;
      }),
    );
  }

  private async catalogueInForce(): Promise<{ digest: string; services: Record<string, ServiceConfig> } | undefined> {
    const now = Date.now();
    if (this.catalogue && now - this.catalogue.readAtMs < CATALOGUE_TTL_MS) return this.catalogue;
    const report = await askPlatformCatalogue(this.source.client, this.source.taskQueue, {}, this.source.catalogueTimeoutMs ?? 10_000);
    if (!report.inForce) throw new Error(`the workers hold no catalogue yet (${report.lastError?.message ?? 'none loaded'})`);
    const services = Object.fromEntries(Object.entries(report.inForce.services).map(([name, s]) => [name, s.definition]));
    this.catalogue = { digest: report.inForce.digest, services, readAtMs: now };
    return this.catalogue;
  }
}

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { GantryActivities } from '../../src/activities';
import type { RunCommandInput } from '../../src/activities/run-command';
import type { Admission, ArtifactRef, Instance } from '../../src/shared/release';
import { instanceIdFor } from '../../src/policy/environment-restore';
import { provenanceStatement } from '../../src/policy/provenance';
import { registeredDefinition } from './release-input';

/**
 * Stand-ins for build, artifact and runtime activities, for tests about the release
 * workflow's decisions (approvals, timeouts, aborts, cleanup). They keep an in-memory
 * picture of each environment so tests can assert what the workflow did to it. The
 * real activities and providers have their own tests.
 */
export interface FakeDeliveryOptions {
  /** Commands (by label) that exit non-zero. */
  failingCommands?: string[];
  /** Environments where starting an instance blocks until the activity is cancelled. */
  hangStartIn?: string[];
  /** Environments where starting an instance waits until `letHeldFinish()` (or a cancel): a test steers while it starts. */
  holdStartIn?: string[];
  /** Commands (by label) that run until `letHeldFinish()` (or a cancel): a test steers while they run. */
  holdCommands?: string[];
  /** Stops of instances of these versions run until `letHeldFinish()`, like a service draining: a test steers meanwhile. */
  holdStopOf?: string[];
}

export interface FakeWorld {
  activities: Pick<
    GantryActivities,
    | 'admitRelease'
    | 'prepareWorkspace'
    | 'removeWorkspace'
    | 'runCommand'
    | 'publishArtifact'
    | 'recordProvenance'
    | 'startInstance'
    | 'activeInstance'
    | 'activateInstance'
    | 'stopInstance'
  >;
  commands: RunCommandInput[];
  /** Workspaces removed, by the release's name for them. */
  removedWorkspaces: string[];
  /** Every environment a start began in, in order (a test steers once a held start runs). */
  startsBegun: string[];
  active: Map<string, Instance>;
  running: Map<string, Instance>;
  stopped: string[];
  /** Resolves when a start begins in an environment (for abort-while-deploying tests). */
  startBegan: Promise<string>;
  /** Resolves with the instance ID when a held stop begins. */
  stopBegan: Promise<string>;
  /** Lets every held start and command finish normally. */
  letHeldFinish: () => void;
}

/**
 * Keeps a fake activity running, heartbeating like a real start or command, until
 * `done()` says so; a cancel ends it the way it ends a real one.
 */
async function runUntil(done: () => boolean): Promise<void> {
  const ctx = Context.current();
  while (!done()) {
    ctx.heartbeat('running');
    await Promise.race([ctx.cancelled, new Promise((r) => setTimeout(r, 100))]);
  }
}

export function fakeDelivery(options: FakeDeliveryOptions = {}): FakeWorld {
  const commands: RunCommandInput[] = [];
  const active = new Map<string, Instance>();
  const running = new Map<string, Instance>();
  const stopped: string[] = [];
  let announceStart!: (env: string) => void;
  const startBegan = new Promise<string>((resolve) => (announceStart = resolve));
  let announceStop!: (instanceId: string) => void;
  const stopBegan = new Promise<string>((resolve) => (announceStop = resolve));
  const key = (service: string, environment: string) => `${service}/${environment}`;
  let released = false;
  const letHeldFinish = () => {
    released = true;
  };

  const removedWorkspaces: string[] = [];
  const startsBegun: string[] = [];
  const activities: FakeWorld['activities'] = {
    async admitRelease(request): Promise<Admission> {
      const config = registeredDefinition(request.service, request.version);
      if (!config) {
        throw ApplicationFailure.create({ type: 'AdmissionRefused', nonRetryable: true, message: `the test catalogue does not declare ${request.service}` });
      }
      return {
        config,
        catalogue: { digest: `sha256:${'ee'.repeat(32)}`, source: 'the test catalogue' },
        source: {
          repository: config.repository,
          directory: config.directory,
          requested: request.commit,
          commit: request.commit.padEnd(40, '0'),
          committedAt: '2026-11-30T12:00:00.000Z',
        },
      };
    },
    async prepareWorkspace(request) {
      // One worker serves everything here: the checkout's host polls the test's own queue.
      return {
        root: `/nonexistent/workspaces/${request.workspace}`,
        dir: `/nonexistent/workspaces/${request.workspace}/${request.source.directory}`,
        host: 'test-host',
        taskQueue: Context.current().info.taskQueue,
      };
    },
    async removeWorkspace(request) {
      removedWorkspaces.push(request.workspace);
    },
    async recordProvenance({ artifact, facts }) {
      return provenanceStatement(artifact, facts);
    },
    async runCommand(input) {
      commands.push(input);
      if (options.holdCommands?.includes(input.label)) await runUntil(() => released);
      if (options.failingCommands?.includes(input.label)) {
        throw ApplicationFailure.create({
          type: 'CommandFailed',
          nonRetryable: true,
          message: `${input.label} failed: \`${input.command}\` exited with code 3`,
          details: [{ exitCode: 3, tail: ['expected 2 to equal 3'] }],
        });
      }
      return { label: input.label, exitCode: 0, durationMs: 1, tail: ['ok'] };
    },
    async publishArtifact(req): Promise<ArtifactRef> {
      return { service: req.service, version: req.version, digest: `sha256:${'ab'.repeat(32)}`, sizeBytes: 1234 };
    },
    async startInstance(req) {
      // Like the real runtime, a start of an instance that runs already adopts it at once.
      const adopted = running.get(`${key(req.service, req.environment)}/${instanceIdFor(req.artifact.version, req.artifact.digest)}`);
      if (adopted) return adopted;
      announceStart(req.environment);
      startsBegun.push(req.environment);
      if (options.hangStartIn?.includes(req.environment)) await runUntil(() => false);
      if (options.holdStartIn?.includes(req.environment)) await runUntil(() => released);
      const id = instanceIdFor(req.artifact.version, req.artifact.digest);
      const instance: Instance = {
        id,
        service: req.service,
        environment: req.environment,
        artifact: req.artifact,
        url: `http://127.0.0.1:1/${req.environment}/${id}`,
        pid: 1,
      };
      running.set(`${key(req.service, req.environment)}/${id}`, instance);
      return instance;
    },
    async activeInstance({ service, environment }) {
      return active.get(key(service, environment)) ?? null;
    },
    async activateInstance({ service, environment, instanceId }) {
      const instance = running.get(`${key(service, environment)}/${instanceId}`);
      if (!instance) throw new Error(`instance ${instanceId} is not running in ${environment}`);
      active.set(key(service, environment), instance);
    },
    async stopInstance({ service, environment, instanceId }) {
      const version = running.get(`${key(service, environment)}/${instanceId}`)?.artifact.version;
      if (version && options.holdStopOf?.includes(version)) {
        announceStop(instanceId);
        await runUntil(() => released);
      }
      stopped.push(`${environment}/${instanceId}`);
      running.delete(`${key(service, environment)}/${instanceId}`);
      if (active.get(key(service, environment))?.id === instanceId) active.delete(key(service, environment));
    },
  };
  return { activities, commands, removedWorkspaces, startsBegun, active, running, stopped, startBegan, stopBegan, letHeldFinish };
}

/** An instance of an older version already serving an environment before the release. */
export function seedActive(world: FakeWorld, service: string, environment: string, version: string): Instance {
  const artifact: ArtifactRef = { service, version, digest: `sha256:${'cd'.repeat(32)}`, sizeBytes: 1000 };
  const id = instanceIdFor(version, artifact.digest);
  const instance: Instance = { id, service, environment, artifact, url: `http://127.0.0.1:1/${environment}/${id}`, pid: 1 };
  world.running.set(`${service}/${environment}/${id}`, instance);
  world.active.set(`${service}/${environment}`, instance);
  return instance;
}

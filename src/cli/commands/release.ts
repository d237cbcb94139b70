import { Option, type Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { connectClient } from '../../client/connect';
import { describeEndedRelease, releaseResult, startOrAttachRelease, type EndedRelease, type ReleaseHandle } from '../../client/release-client';
import { checkReleaseRequest } from '../../policy/release-request';
import { checkEmergencyRequest } from '../../policy/change-exceptions';
import { isSuccessful } from '../../policy/outcome';
import { DEFAULT_TASK_QUEUE, releaseWorkflowId } from '../../shared/ids';
import { abortUpdate, approveEmergencyUpdate, approveUpdate, overrideUpdate, pauseUpdate, promoteUpdate, rejectUpdate, resumeUpdate, rollbackUpdate, statusQuery } from '../../shared/messages';
import type { ReleaseRequest, ReleaseResult } from '../../shared/release';
import type { ApprovePayload } from '../../shared/messages';
import { signApproval, writeSignedApprovals } from '../sign-decision';
import type { Risk } from '../../policy/change-window';
import { GantryOutcome, GantryService, GantryStage, GantryVersion } from '../../shared/search-attributes';
import { EXIT, invalidInput } from '../exit-codes';
import { followRelease } from '../follow-release';
import { renderResult, renderStatus } from '../render-status';
import { registerQuarantineCommands } from './quarantine';

const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const RELEASE_KEYS = { service: GantryService, version: GantryVersion, stage: GantryStage, outcome: GantryOutcome };
const taskQueue = () => process.env.GANTRY_TASK_QUEUE || DEFAULT_TASK_QUEUE;
const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

/**
 * The request a starter sends: service, version, commit and author, nothing else; the
 * rules come from the platform's catalogue on the worker. Every problem is exit code 2
 * and nothing starts.
 */
export function buildReleaseRequest(opts: {
  service?: string;
  version?: string;
  commit?: string;
  author?: string;
  risk?: string;
  config?: string;
  emergency?: boolean;
  rollback?: boolean;
  reason?: string;
  ticket?: string;
  as?: string;
}): ReleaseRequest {
  if (opts.config !== undefined) {
    throw invalidInput(
      '--config is not read by release start: the platform\'s catalogue, held by the worker, decides a release\'s rules. See them with `gantry catalogue show`; check a file before merging it with `gantry config validate <file>`',
    );
  }
  const rollback = opts.rollback ? { reason: opts.reason ?? '' } : undefined;
  const problems: { field: string; message: string }[] = checkReleaseRequest({ ...opts, rollback });
  if (opts.as !== undefined && !IDENTITY.test(opts.as)) problems.push({ field: 'as', message: `"${opts.as}" is not a user name (letters, digits, . _ @ -)` });
  if (opts.emergency) problems.push(...checkEmergencyRequest(opts));
  else if (opts.ticket !== undefined) problems.push({ field: 'ticket', message: 'is only read with --emergency; add --emergency --reason "<why>" or drop it' });
  if (opts.reason !== undefined && !opts.rollback && !opts.emergency) {
    problems.push({ field: 'reason', message: 'is only read with --rollback (why the older version goes back) or --emergency (why it cannot wait)' });
  }
  if (problems.length > 0) {
    throw invalidInput(`invalid release request:\n${problems.map((p) => `  --${p.field}: ${p.message}`).join('\n')}`);
  }
  return {
    service: opts.service!,
    version: opts.version!,
    commit: opts.commit!,
    author: opts.author!,
    ...(opts.as === undefined || opts.as === opts.author ? {} : { startedBy: opts.as }),
    ...(opts.risk === undefined ? {} : { risk: opts.risk as Risk }),
    ...(opts.emergency ? { emergency: { reason: opts.reason!.trim(), ticket: opts.ticket!.trim() } } : {}),
    ...(rollback ? { rollback: { reason: rollback.reason.trim() } } : {}),
  };
}

function exitCodeFor(result: ReleaseResult): number {
  return isSuccessful(result.outcome) ? EXIT.ok : EXIT.unsuccessful;
}

async function existingRelease(client: Client, service: string, version: string): Promise<ReleaseHandle> {
  const handle: ReleaseHandle = client.workflow.getHandle(releaseWorkflowId(service, version));
  try {
    await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw invalidInput(`no release of ${service} ${version} exists; start one with \`gantry release start --service ${service} --version ${version} …\``);
    }
    throw err;
  }
  return handle;
}

/** The one line that answers a message sent to a release that has already ended. */
function endedLine(service: string, version: string, ended: EndedRelease): string {
  return `release ${service} ${version} already ended: ${ended.outcome}${ended.reason ? ` (${ended.reason})` : ''}`;
}

/**
 * Sends a decision as an update so a refusal comes back with its reason (exit 2, nothing
 * changed). Every steering command goes through here, so each answers a release that has
 * ended the same way: exit 2 and the release's outcome.
 */
async function decide(
  service: string,
  version: string,
  send: (handle: ReleaseHandle) => Promise<{ message: string }>,
  json: boolean,
): Promise<void> {
  const client = await connectClient();
  const handle = await existingRelease(client, service, version);
  try {
    const answer = await send(handle);
    if (json) printJson(answer);
    else print(answer.message);
  } catch (err) {
    // The release ended before the message reached it (the server refuses it: "workflow
    // execution already completed") or while it did (the workflow refuses it as finished).
    const ended = await describeEndedRelease(client, service, version);
    if (ended) {
      const message = endedLine(service, version, ended);
      if (!json) throw invalidInput(message);
      printJson({ accepted: false, outcome: ended.outcome, reason: ended.reason, message });
      process.exitCode = EXIT.invalidInput;
      return;
    }
    if (err instanceof WorkflowUpdateFailedError) {
      throw invalidInput(`refused: ${err.cause?.message ?? err.message}`);
    }
    throw err;
  }
}

/** What an approval sends: who, the comment and ticket, and with --sign the signed statement. */
async function approvalPayload(handle: ReleaseHandle, opts: { as: string; comment?: string; ticket?: string; sign?: string }): Promise<ApprovePayload> {
  const payload: ApprovePayload = { by: opts.as, ...(opts.comment ? { comment: opts.comment } : {}), ...(opts.ticket ? { ticket: opts.ticket } : {}) };
  if (!opts.sign) return payload;
  return { ...payload, signature: signApproval(await handle.query(statusQuery), opts.as, opts.sign, Date.now()) };
}

export function registerReleaseCommands(program: Command): void {
  const release = program.command('release').description('Start, watch and steer releases.');

  release
    .command('start')
    .description('Start the release of a version (or attach to it if it already runs).')
    .requiredOption('--service <name>', "service in the platform's catalogue")
    .requiredOption('--version <version>', 'version to release, e.g. 1.4.2')
    .requiredOption('--commit <sha|tag>', "git commit the version is built from (a SHA or a tag in the service's repository)")
    .requiredOption('--author <who>', 'who made the change (cannot approve it)')
    .option('--as <who>', 'who starts the release, when not the author (e.g. the CI bot): a practitioner of the service, and not one of its approvers')
    .option('--risk <risk>', 'low, medium (default) or high: deploy windows and holidays hold the risks the change policy names')
    .option('--emergency', 'an emergency fix: it passes deploy windows, holidays and freezes once an emergency approver approves it (needs --reason and --ticket)', false)
    .option('--rollback', 'an explicit rollback: this (older) version may replace a newer one; needs --reason', false)
    .option('--reason <text>', 'with --emergency: why it cannot wait; with --rollback: why the older version goes back (recorded and shown)')
    .option('--ticket <id>', "the emergency's incident or change ticket, e.g. INC-4711")
    .addOption(new Option('--config <file>').hideHelp())
    .option('--retry', 'release again a version whose previous release failed', false)
    .option('--wait', 'follow the release to its end; the exit code is its outcome', false)
    .option('--json', 'print one JSON document', false)
    .action(async (opts) => {
      const input = buildReleaseRequest(opts);
      const client = await connectClient();
      const { handle, how, admission } = await startOrAttachRelease(client, input, { taskQueue: taskQueue(), retry: opts.retry });
      const ids = { workflowId: handle.workflowId, runId: (await handle.describe()).runId };
      if (how === 'finished') {
        const result = await releaseResult(handle);
        if (opts.json) printJson({ ...ids, how, ...result });
        else {
          print(`${renderResult(result, input.service, input.version)} (an earlier run)`);
          if (!isSuccessful(result.outcome)) print(`To release it again, add --retry.`);
        }
        process.exitCode = exitCodeFor(result);
        return;
      }
      if (!opts.json) {
        print(`${how === 'started' ? 'Started' : 'Attached to running'} release ${ids.workflowId} (run ${ids.runId})`);
        if (admission) print(`Admitted: commit ${admission.commit}, catalogue ${admission.catalogueDigest}`);
      }
      if (!opts.wait) {
        if (opts.json) printJson({ ...ids, how, admission });
        return;
      }
      const result = opts.json ? await releaseResult(handle) : await followRelease(handle, process.stdout);
      if (opts.json) printJson({ ...ids, how, admission, ...result });
      else print(renderResult(result, input.service, input.version));
      process.exitCode = exitCodeFor(result);
    });

  registerQuarantineCommands(release);

  release
    .command('status <service> <version>')
    .description('Show where a release is, its approvals and its timeline.')
    .option('--json', 'print the status document', false)
    .action(async (service: string, version: string, opts) => {
      const client = await connectClient();
      const handle = await existingRelease(client, service, version);
      const status = await handle.query(statusQuery);
      if (opts.json) printJson(status);
      else print(renderStatus(status));
    });

  release
    .command('watch <service> <version>')
    .description('Follow a release to its end as --wait does: stages, and a canary or blue/green rollout redrawn in place (exit code as the outcome).')
    .action(async (service: string, version: string) => {
      const client = await connectClient();
      const handle = await existingRelease(client, service, version);
      const { status } = await handle.describe();
      // An ended release has nothing to follow: its outcome is the answer.
      const result = status.name === 'RUNNING' ? await followRelease(handle, process.stdout) : await releaseResult(handle);
      print(renderResult(result, service, version));
      process.exitCode = exitCodeFor(result);
    });

  release
    .command('list')
    .description('List releases, newest first.')
    .option('--service <name>', 'only this service')
    .option('--running', 'only running releases', false)
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON', false)
    .action(async (opts) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw invalidInput(`--limit must be a positive whole number, got "${opts.limit}"`);
      const clauses = ['WorkflowType = "releaseWorkflow"'];
      if (opts.service) clauses.push(`GantryService = "${String(opts.service).replace(/"/g, '')}"`);
      if (opts.running) clauses.push('ExecutionStatus = "Running"');
      const client = await connectClient();
      const rows = [];
      for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) {
        const attrs = wf.typedSearchAttributes;
        rows.push({
          workflowId: wf.workflowId,
          service: attrs.get(RELEASE_KEYS.service),
          version: attrs.get(RELEASE_KEYS.version),
          stage: attrs.get(RELEASE_KEYS.stage),
          outcome: attrs.get(RELEASE_KEYS.outcome) ?? null,
          status: wf.status.name,
          startTime: wf.startTime.toISOString(),
        });
        if (rows.length >= limit) break;
      }
      if (opts.json) printJson(rows);
      else if (rows.length === 0) print('no releases found');
      else for (const r of rows) print(`${r.startTime}  ${String(r.service).padEnd(14)} ${String(r.version).padEnd(12)} ${String(r.stage).padEnd(11)} ${r.outcome ?? r.status.toLowerCase()}`);
    });

  release
    .command('approve <service> <version>')
    .description('Approve the production deploy of a release.')
    .requiredOption('--as <who>', 'your identity; must be an approver and not the author')
    .option('--comment <text>', 'recorded with the approval (an approval policy may require it)')
    .option('--ticket <id>', 'the change ticket the approval refers to (an approval policy may require it)')
    .option('--sign <key>', 'sign the approval with your SSH key (its public key listed for you under signers: in the catalogue)')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) =>
      decide(service, version, async (h) => h.executeUpdate(approveUpdate, { args: [await approvalPayload(h, opts)] }), opts.json),
    );

  release
    .command('signatures <service> <version>')
    .description("Write a release's signed approvals for an auditor to check with ssh-keygen -Y verify, without trusting Gantry.")
    .requiredOption('--out <dir>', 'folder to write allowed_signers and each statement and signature to')
    .action(async (service: string, version: string, opts: { out: string }) => {
      const client = await connectClient();
      const handle = await existingRelease(client, service, version);
      for (const line of writeSignedApprovals(await handle.query(statusQuery), opts.out)) print(line);
    });

  release
    .command('sign-payload <service> <version>')
    .description('Print the signed approval to send with the plain temporal CLI (temporal workflow update execute --name approve --input …).')
    .requiredOption('--as <who>', 'your identity; must be an approver')
    .requiredOption('--sign <key>', 'your SSH key (its public key listed for you under signers: in the catalogue)')
    .option('--comment <text>', 'recorded with the approval')
    .option('--ticket <id>', 'the change ticket the approval refers to')
    .action(async (service: string, version: string, opts) => {
      const client = await connectClient();
      const handle = await existingRelease(client, service, version);
      print(JSON.stringify(await approvalPayload(handle, opts)));
    });

  release
    .command('approve-emergency <service> <version>')
    .description('As an emergency approver, let an emergency release pass deploy windows, holidays and freezes.')
    .requiredOption('--as <who>', 'your identity; must be an emergency approver and not the author')
    .option('--reason <text>', 'why (required, recorded and flagged for the review)')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) => {
      if (!opts.reason?.trim()) throw invalidInput('an emergency approval needs a reason: add --reason "<why>"');
      return decide(service, version, (h) => h.executeUpdate(approveEmergencyUpdate, { args: [{ by: opts.as, reason: opts.reason }] }), opts.json);
    });

  release
    .command('override <service> <version>')
    .description('As a process owner, let a release (or its canary) pass the one deploy window, holiday or freeze holding it now.')
    .requiredOption('--as <who>', 'your identity; must be a process owner')
    .option('--reason <text>', 'why (required, recorded and flagged for the review)')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) => {
      if (!opts.reason?.trim()) throw invalidInput('an override needs a reason: add --reason "<why>"');
      return decide(service, version, (h) => h.executeUpdate(overrideUpdate, { args: [{ by: opts.as, reason: opts.reason }] }), opts.json);
    });

  release
    .command('reject <service> <version>')
    .description('Reject a release waiting for approval; it ends as rejected.')
    .requiredOption('--as <who>', 'your identity; must be an approver')
    .option('--reason <text>', 'why (required)')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) => {
      if (!opts.reason?.trim()) throw invalidInput('a rejection needs a reason: add --reason "<why>"');
      return decide(service, version, (h) => h.executeUpdate(rejectUpdate, { args: [{ by: opts.as, reason: opts.reason }] }), opts.json);
    });

  release
    .command('abort <service> <version>')
    .description('Abort a release at any stage; every environment it touched is put back.')
    .requiredOption('--as <who>', 'your identity')
    .option('--reason <text>', 'why (required)')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) => {
      if (!opts.reason?.trim()) throw invalidInput('an abort needs a reason: add --reason "<why>"');
      return decide(service, version, (h) => h.executeUpdate(abortUpdate, { args: [{ by: opts.as, reason: opts.reason }] }), opts.json);
    });

  release
    .command('pause <service> <version>')
    .description('Pause the production rollout (canary or blue/green) at its current step.')
    .requiredOption('--as <who>', 'your identity')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) =>
      decide(service, version, (h) => h.executeUpdate(pauseUpdate, { args: [{ by: opts.as, reason: opts.reason }] }), opts.json),
    );

  release
    .command('resume <service> <version>')
    .description('Resume a paused production rollout.')
    .requiredOption('--as <who>', 'your identity')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) =>
      decide(service, version, (h) => h.executeUpdate(resumeUpdate, { args: [{ by: opts.as, reason: opts.reason }] }), opts.json),
    );

  release
    .command('promote <service> <version>')
    .description('End the current soak now (with --full: send 100 % of traffic to the new version now).')
    .requiredOption('--as <who>', 'your identity')
    .option('--reason <text>', 'why (required, recorded)')
    .option('--full', 'go to 100 % at once', false)
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) => {
      if (!opts.reason?.trim()) throw invalidInput('a promote needs a reason: add --reason "<why>"');
      return decide(service, version, (h) => h.executeUpdate(promoteUpdate, { args: [{ by: opts.as, reason: opts.reason, full: opts.full }] }), opts.json);
    });

  release
    .command('rollback <service> <version>')
    .description('Roll the production rollout back: the stable version takes all traffic again.')
    .requiredOption('--as <who>', 'your identity')
    .option('--reason <text>', 'why (required, recorded)')
    .option('--json', 'print JSON', false)
    .action((service: string, version: string, opts) => {
      if (!opts.reason?.trim()) throw invalidInput('a rollback needs a reason: add --reason "<why>"');
      return decide(service, version, (h) => h.executeUpdate(rollbackUpdate, { args: [{ by: opts.as, reason: opts.reason }] }), opts.json);
    });
}

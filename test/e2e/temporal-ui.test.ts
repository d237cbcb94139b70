import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import YAML from 'yaml';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import { launchChromium } from '../support/browser';
import { eventually, startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: E2EStack;
let browser: Browser;
beforeAll(async () => {
  stack = await startE2EStack('ui', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      doc.services.storefront = doc.services.web;
      delete doc.services.web;
      return YAML.stringify(doc);
    },
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

function uiUrl(): string {
  const url = process.env.GANTRY_TEST_TEMPORAL_UI;
  if (!url) throw new Error('GANTRY_TEST_TEMPORAL_UI is not set: the UI test needs the dev server that jest globalSetup starts (unset TEMPORAL_ADDRESS)');
  return url;
}

test('a person finds a release in the Temporal UI by its search attributes and reads its summary and current details', async () => {
  const version = '5.0.0';
  const workflowId = releaseWorkflowId('storefront', version);
  const started = await stack.gantry(['release', 'start', '--service', 'storefront', '--version', version, '--commit', stack.commit, '--author', 'alice']);
  expect(started.code).toBe(0);
  await eventually('the approval stage', async () => {
    const status = await stack.client.workflow.getHandle(workflowId).query(statusQuery);
    return status.stage === 'approval' ? status : undefined;
  });

  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    const query = 'GantryService="storefront" AND GantryStage="approval"';
    await page.goto(`${uiUrl()}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    const row = page.getByText(workflowId).first();
    await row.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(stack.dir, 'ui-list.png') });

    await row.click();
    await page.getByRole('heading', { name: workflowId }).waitFor({ timeout: 30_000 });
    // This UI shows the summary and the current details under "User Metadata".
    await page.getByText('User Metadata', { exact: true }).first().click();
    // The summary and details are markdown, rendered by the UI in sandboxed frames.
    const shown = await eventually('the summary and current details on the page', async () => {
      const texts = await Promise.all(page.frames().map((f) => f.locator('body').innerText({ timeout: 2000 }).catch(() => '')));
      const text = texts.join('\n');
      return text.includes(`Release storefront ${version}`) && text.includes('Waiting for: 1 more approval from bob') ? text : undefined;
    }, 30_000);
    expect(shown).toMatch(/Stage:\s*approval/);
    expect(shown).toMatch(/Approvers:\s*alice, bob \(1 required\)/);
    await page.screenshot({ path: path.join(stack.dir, 'ui-release.png'), fullPage: true });

    // The environments it deployed to are entities the UI lists; there are no lock workflows.
    const entityId = `environment/storefront/staging@${stack.taskQueue}`;
    await page.goto(`${uiUrl()}/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowType="environmentWorkflow" AND TaskQueue="${stack.taskQueue}"`)}`);
    await page.getByText(entityId).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(stack.dir, 'ui-environments.png') });
    const locks = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowType="environmentLockWorkflow" AND TaskQueue="${stack.taskQueue}"` })) locks.push(wf.workflowId);
    expect(locks).toEqual([]);
    process.stdout.write(`UI screenshots: ${stack.dir}/ui-list.png, ui-release.png\n`);
  } finally {
    await page.close();
    await stack.gantry(['release', 'abort', 'storefront', version, '--as', 'carol', '--reason', 'end of UI test']);
  }
});

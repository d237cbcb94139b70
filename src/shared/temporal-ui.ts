/** Where a person opens a workflow in the Temporal UI, when Gantry knows the UI's address. */
export interface UiLocation {
  url: string;
  namespace: string;
}

/** Link to one workflow (to one run's history when `runId` is given) in the Temporal UI. */
export function workflowUiLink(ui: UiLocation, workflowId: string, runId?: string): string {
  const base = `${ui.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}

// Workflow entry points registered by the worker.
export { releaseWorkflow } from './release';
export { environmentLockWorkflow } from './environment-lock';

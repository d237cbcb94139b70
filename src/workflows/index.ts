// Workflow entry points registered by the worker.
export { releaseWorkflow } from './release';
export { environmentLockWorkflow } from './environment-lock';
export { canaryRolloutWorkflow } from './canary-rollout';
export { blueGreenRolloutWorkflow } from './blue-green-rollout';
export { catalogueWorkflow } from './catalogue';
export { environmentWorkflow } from './environment';
export { changeCalendarWorkflow } from './change-calendar';
export { quarterlyReviewWorkflow } from './quarterly-review';
export { flagWorkflow } from './flag';

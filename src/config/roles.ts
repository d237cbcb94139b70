import { z } from 'zod';

/**
 * `roles:` in the platform's catalogue: who may make the exceptions of change
 * management. Given for the whole catalogue and per service; a service's lists add to
 * the catalogue's (a company-wide emergency approver stays one for every service).
 */

export const IdentitySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'must be a user name or e-mail address (letters, digits, . _ @ -)');

export const RolesSchema = z
  .strictObject({
    processOwners: z
      .array(IdentitySchema)
      .default([])
      .describe('Who owns the release process: may override a single change gate (a deploy window, a holiday or a freeze holding a release) with a reason.'),
    emergencyApprovers: z
      .array(IdentitySchema)
      .default([])
      .describe('Who may approve an emergency release (`gantry release start --emergency`): once approved, it passes deploy windows, holidays and freezes.'),
  })
  .describe('Who may make the exceptions of change management; a service\'s lists add to the catalogue\'s.');

export type RolesConfig = z.output<typeof RolesSchema>;

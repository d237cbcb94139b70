import { z } from 'zod';
import { GROUP_REFERENCE } from '../policy/people';
import { parsePublicKeyLine } from '../providers/signatures/ssh-signature';

/**
 * `roles:` and `groups:` in the platform's catalogue: who may start and steer releases,
 * approve emergencies, override a change gate, and audit. Given for the whole catalogue
 * and per service; a service's lists add to the catalogue's (a company-wide emergency
 * approver stays one for every service).
 */

export const IdentitySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'must be a user name or e-mail address (letters, digits, . _ @ -)');

export const GROUP_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

/** A person, or `group:<name>` for every member of a group declared under `groups:`. */
export const PersonOrGroupSchema = z
  .string()
  .refine((entry) => (GROUP_REFERENCE.test(entry) ? GROUP_NAME_PATTERN.test(entry.slice('group:'.length)) : IdentitySchema.safeParse(entry).success), {
    message: 'must be a user name or e-mail address (letters, digits, . _ @ -), or group:<name> for a group declared under groups:',
  });

export const PeopleSchema = z.array(PersonOrGroupSchema);

export const GroupsSchema = z
  .record(z.string().regex(GROUP_NAME_PATTERN, 'group names are lower-case letters, digits and -, starting with a letter'), z.array(IdentitySchema).min(1, 'a group needs at least one member'))
  .describe('Named groups of people; roles and approvals name them as group:<name>.');

/** A public key as ssh-keygen prints it; it must parse, so a typo is a catalogue error and not a refused approval later. */
const PublicKeyLineSchema = z.string().superRefine((line, ctx) => {
  const parsed = parsePublicKeyLine(line);
  if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
});

export const SignersSchema = z
  .record(IdentitySchema, z.array(PublicKeyLineSchema).min(1, 'list at least one public key'))
  .describe("Each person's SSH public keys (as in git's allowed_signers): the keys their signed decisions are checked against.");

export const RolesSchema = z
  .strictObject({
    practitioners: PeopleSchema.optional().describe(
      'Who may start releases and steer them (abort, pause, resume, promote, roll back). Without practitioners anywhere, anyone may.',
    ),
    processOwners: PeopleSchema.default([]).describe(
      'Who owns the release process: may steer any release and override a single change gate (a deploy window, a holiday or a freeze holding a release) with a reason.',
    ),
    emergencyApprovers: PeopleSchema.default([]).describe(
      'Who may approve an emergency release (`gantry release start --emergency`): once approved, it passes deploy windows, holidays and freezes.',
    ),
    auditors: PeopleSchema.default([]).describe('Who verifies compliance: they read the record and the audit store; they take no decisions.'),
  })
  .describe("Who may do what; a service's lists add to the catalogue's.");

export type RolesConfig = z.output<typeof RolesSchema>;

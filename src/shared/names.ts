/**
 * How services and environments may be named. Plain constants, apart from the catalogue's
 * schema, so workflow and policy code can check a name without loading zod and the schema
 * (which every workflow would otherwise build again for itself).
 */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

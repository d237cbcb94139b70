import type { FlagDefinition } from './flags/flag-document';
import type { KillMethod } from '../shared/flags';

/**
 * What a kill makes of a flag: off for everyone, at once, whatever its targeting said.
 *
 * Gantry serves the flag's off variant rather than disabling it: a DISABLED flag hands
 * each application the default written in its code, which may be "on" in one service and
 * "off" in another, while the off variant is one value for all, and metrics labelled by
 * variant keep counting it. So the targeting is removed and the default variant becomes
 * the off variant, which is
 *   1. the variant named `off`, else
 *   2. the only variant whose value is `false`.
 * A flag with neither (e.g. variants `{ "blue": "#00f", "green": "#0f0" }`) has no value
 * that means off, so it is set to DISABLED and applications fall back to their code
 * default; the answer and the record say which happened.
 *
 * Example: `{ state: ENABLED, variants: { on: true, off: false }, defaultVariant: off,
 * targeting: { fractional: [["on", 25], ["off", 75]] } }` → `{ state: ENABLED, variants:
 * { on: true, off: false }, defaultVariant: off }`, method off_variant.
 */
export interface KilledFlag {
  definition: FlagDefinition;
  method: KillMethod;
  offVariant?: string;
}

export function offVariantOf(flag: FlagDefinition): string | undefined {
  if (Object.prototype.hasOwnProperty.call(flag.variants, 'off')) return 'off';
  const falses = Object.entries(flag.variants).filter(([, value]) => value === false);
  return falses.length === 1 ? falses[0][0] : undefined;
}

export function killedDefinition(flag: FlagDefinition): KilledFlag {
  const { targeting: _targeting, ...rest } = flag;
  const offVariant = offVariantOf(flag);
  if (offVariant === undefined) return { definition: { ...rest, state: 'DISABLED' }, method: 'disabled' };
  return { definition: { ...rest, state: 'ENABLED', defaultVariant: offVariant }, method: 'off_variant', offVariant };
}

import { fieldPath } from './flag-field-path';
import type { FlagDocument, FlagProblem } from './flag-document';
import { checkTargetingRule } from './targeting-rules';

/**
 * What flagd's schema cannot say about a structurally valid document: the default variant
 * is one of the variants, a flag's variants share one type (flagd resolves a flag as
 * boolean, number, string or object, never a mix), and every targeting rule is one flagd
 * evaluates as meant (see targeting-rules.ts).
 */
export function checkFlagSemantics(document: FlagDocument): FlagProblem[] {
  const problems: FlagProblem[] = [];
  const evaluators = new Set(Object.keys(document.$evaluators ?? {}));
  for (const [name, rule] of Object.entries(document.$evaluators ?? {})) {
    problems.push(...checkTargetingRule(rule, ['$evaluators', name], { evaluators }));
  }
  for (const [key, flag] of Object.entries(document.flags)) {
    const variants = Object.keys(flag.variants);
    if (flag.defaultVariant !== undefined && flag.defaultVariant !== null && !variants.includes(flag.defaultVariant)) {
      problems.push({
        field: fieldPath(['flags', key, 'defaultVariant']),
        message: `is ${JSON.stringify(flag.defaultVariant)}, which is not a variant of this flag: use one of ${variants.join(', ')}, or add it to variants`,
      });
    }
    const types = new Set(Object.values(flag.variants).map(variantType));
    if (types.size > 1) {
      problems.push({
        field: fieldPath(['flags', key, 'variants']),
        message: `mix ${[...types].join(' and ')} values; all variants of a flag have one type (e.g. { "on": true, "off": false })`,
      });
    }
    if (flag.targeting !== undefined) {
      problems.push(...checkTargetingRule(flag.targeting, ['flags', key, 'targeting'], { variants: new Set(variants), evaluators }));
    }
  }
  return problems;
}

function variantType(value: unknown): string {
  return value !== null && typeof value === 'object' ? 'object' : typeof value;
}

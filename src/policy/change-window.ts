import type { Quarantine } from '../shared/change-calendar';
import { quarantineHolds } from './quarantine-holds';
import { type Recurrence, occurrencesBetween } from './recurrence';
import { type LocalDate, type LocalDateTime, addDays, dayNumber, describeInstant, instantOf, localTime } from './zoned-time';

/**
 * When a change may go out: deploy windows, holidays and change freezes, decided by one
 * pure function of (policy, release, instant). The workflow asks it when a release
 * enters an environment (and before a canary raises traffic); `gantry policy check` asks
 * it before a release starts.
 */

export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

/** A point in the week, in the policy's zone. */
export interface WeekTime {
  /** 0 = Monday … 6 = Sunday */
  weekday: number;
  /** Minutes after midnight. */
  minute: number;
}

export interface BlockedWindow {
  from: WeekTime;
  to: WeekTime;
}

export interface Freeze {
  name: string;
  reason?: string;
  /** When it starts (its first occurrence, for a recurring one), in the policy's zone. */
  starts: LocalDateTime;
  /** A one-off freeze ends here… */
  ends?: LocalDateTime;
  /** …a recurring one lasts this long from each occurrence. */
  rule?: Recurrence;
  lastsMs?: number;
  /** Only these services / environments (all when absent). */
  services?: string[];
  environments?: string[];
}

/** The change policy in force for one service environment. */
export interface ChangePolicy {
  timeZone: string;
  blockedWindows: BlockedWindow[];
  holidays: LocalDate[];
  freezes: Freeze[];
  /** The risks windows and holidays apply to; freezes apply to every release but an emergency. */
  risks: Risk[];
  /** Whether a canary that started may finish its ramp into a blocked window. */
  canaryMayFinish: boolean;
  /** What a blocked release does: wait for the window to open, or be refused. */
  whenBlocked: 'wait' | 'refuse';
}

export interface ChangeRequest {
  service: string;
  environment: string;
  risk: Risk;
  /** The version going out: quarantines hold it (absent when asking about a service environment in general). */
  version?: string;
}

/** A version in quarantine in the change calendar, as the decision reads it. */
export type QuarantineRule = Pick<Quarantine, 'service' | 'version' | 'by' | 'reason'>;

/** A freeze people declared in the change calendar (during an incident), as the decision reads it. */
export interface DeclaredFreezeRule {
  id: string;
  reason: string;
  by: string;
  services?: string[];
  environments?: string[];
  /** When it lifts by itself; absent: until someone ends it. */
  untilMs?: number;
}

export type ChangeDecision =
  | { kind: 'allowed' }
  /**
   * Blocked now; it may go at `untilMs`, or, when a declared freeze has no end, once
   * someone ends it (`untilMs` absent). `reasons` says each block in the way, the first first.
   */
  | { kind: 'wait'; untilMs?: number; until: string; reason: string; reasons: string[]; hold: HoldKind }
  | { kind: 'refused'; reason: string; reasons: string[]; hold: HoldKind };

/**
 * The kinds of rule that hold a release (the GantryHold search attribute says the first).
 * `soak`: the version has not yet run long enough in the environment before (soakInPrevious).
 * `quarantine`: someone stopped the version; nothing passes it, not an emergency either.
 */
export type HoldKind = 'deploy window' | 'holiday' | 'freeze' | 'soak' | 'quarantine';

interface Block {
  endMs: number;
  kind: HoldKind;
  reason: string;
  /** For a block with no end: what must happen before the release may go (`until`), and the same after "once". */
  lifts?: { until: string; once: string };
}

const FREEZE_LIFTS = { until: 'the freeze is ended (gantry freeze end)', once: 'the freeze is ended' };
const QUARANTINE_LIFTS = { until: 'the quarantine is lifted', once: 'the quarantine is lifted' };

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const pad = (n: number) => String(n).padStart(2, '0');
export const describeWeekTime = (t: WeekTime) => `${WEEKDAYS[t.weekday]} ${pad(Math.floor(t.minute / 60))}:${pad(t.minute % 60)}`;
const describeDate = (d: LocalDate) => `${d.year}-${pad(d.month)}-${pad(d.day)}`;
const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;
/** Blocks followed one after another before the answer is "never": e.g. windows that together cover the whole week. */
const MAX_BLOCKS = 200;

/**
 * `declared` are the change calendar's freezes in force: they hold every matching release
 * whatever its risk and whether or not its service has a change policy (`policy` may be
 * undefined). Only an emergency passes them. `quarantines` hold the request's version
 * until they are lifted, whatever else holds; they come first.
 */
export function decideChange(
  policy: ChangePolicy | undefined,
  request: ChangeRequest,
  atMs: number,
  declared: DeclaredFreezeRule[] = [],
  quarantines: QuarantineRule[] = [],
): ChangeDecision {
  const reasons: string[] = [];
  let hold: HoldKind | undefined;
  let lifts: Block['lifts'];
  let at = atMs;
  const quarantined: Block[] = quarantineHolds(quarantines, request).map((reason) => ({ endMs: Number.POSITIVE_INFINITY, kind: 'quarantine', reason, lifts: QUARANTINE_LIFTS }));
  for (let i = 0; i < MAX_BLOCKS; i++) {
    const blocks = [...quarantined, ...(policy ? blocksAt(policy, request, at) : []), ...declaredBlocksAt(declared, request, at)];
    if (blocks.length === 0) break;
    hold ??= blocks[0].kind;
    lifts ??= blocks.find((b) => b.lifts)?.lifts;
    for (const block of blocks) if (!reasons.includes(block.reason)) reasons.push(block.reason);
    at = Math.max(...blocks.map((b) => b.endMs));
    // A declared freeze with no end: nothing later can be known until someone ends it.
    if (at === Number.POSITIVE_INFINITY) break;
    if (i === MAX_BLOCKS - 1) {
      return { kind: 'refused', reason: `${request.environment} never opens: ${reasons.slice(0, 3).join('; ')}`, reasons, hold };
    }
  }
  if (!hold) return { kind: 'allowed' };
  if (at === Number.POSITIVE_INFINITY) {
    const { until, once } = lifts ?? FREEZE_LIFTS;
    return { kind: 'wait', until, reason: `${reasons[0]}; it may deploy once ${once}`, reasons, hold };
  }
  const timeZone = policy?.timeZone ?? 'UTC';
  const until = describeInstant(at, timeZone);
  if (policy?.whenBlocked === 'refuse') {
    return { kind: 'refused', reason: `${reasons[0]}; this policy refuses blocked releases: start it again from ${until}`, reasons, hold };
  }
  return { kind: 'wait', untilMs: at, until, reason: `${reasons[0]}; it may deploy from ${until}`, reasons, hold };
}

/** The declared freezes that hold `request` at `atMs` (one without an end holds for ever, until ended). */
function declaredBlocksAt(declared: DeclaredFreezeRule[], request: ChangeRequest, atMs: number): Block[] {
  return declared
    .filter((f) => coversRequest(f, request) && (f.untilMs === undefined || atMs < f.untilMs))
    .map((f) => ({
      endMs: f.untilMs ?? Number.POSITIVE_INFINITY,
      kind: 'freeze' as const,
      reason: `change freeze ${f.id} declared by ${f.by} (${f.reason})${f.untilMs === undefined ? ' until it is ended' : ` until ${describeInstant(f.untilMs, 'UTC')}`}`,
      ...(f.untilMs === undefined ? { lifts: FREEZE_LIFTS } : {}),
    }));
}

/** Whether a freeze scoped to services and environments covers a release's service environment. */
export function coversRequest(scope: { services?: string[]; environments?: string[] }, request: Pick<ChangeRequest, 'service' | 'environment'>): boolean {
  return (!scope.services || scope.services.includes(request.service)) && (!scope.environments || scope.environments.includes(request.environment));
}

/** Every rule that blocks `request` at `atMs`, each with when it stops blocking. */
function blocksAt(policy: ChangePolicy, request: ChangeRequest, atMs: number): Block[] {
  const { timeZone } = policy;
  const now = localTime(atMs, timeZone);
  const today = dayNumber(now);
  const blocks: Block[] = [];
  if (policy.risks.includes(request.risk)) {
    const minuteOfWeek = now.weekday * DAY_MINUTES + now.hour * 60 + now.minute;
    for (const window of policy.blockedWindows) {
      const from = window.from.weekday * DAY_MINUTES + window.from.minute;
      const to = window.to.weekday * DAY_MINUTES + window.to.minute;
      const inside = from < to ? minuteOfWeek >= from && minuteOfWeek < to : minuteOfWeek >= from || minuteOfWeek < to;
      if (!inside) continue;
      const minutesLeft = (((to - minuteOfWeek) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES;
      const endDay = addDays(now, Math.floor((now.hour * 60 + now.minute + minutesLeft) / DAY_MINUTES));
      const endMs = instantOf({ ...endDay, hour: Math.floor(window.to.minute / 60), minute: window.to.minute % 60 }, timeZone);
      blocks.push({ endMs, kind: 'deploy window', reason: `${request.environment} is in a blocked deploy window (${describeWeekTime(window.from)} to ${describeWeekTime(window.to)}, ${timeZone})` });
    }
    for (const holiday of policy.holidays) {
      const day = dayNumber(holiday);
      if (today !== day && today !== day - 1) continue;
      const endMs = instantOf({ ...addDays(holiday, 1), hour: 0, minute: 0 }, timeZone);
      blocks.push({ endMs, kind: 'holiday', reason: `${describeDate(holiday)} is a holiday (it and the day before are blocked)` });
    }
  }
  for (const freeze of policy.freezes) {
    if (freeze.services && !freeze.services.includes(request.service)) continue;
    if (freeze.environments && !freeze.environments.includes(request.environment)) continue;
    for (const [startMs, endMs] of freezeIntervals(freeze, timeZone, today)) {
      if (atMs >= startMs && atMs < endMs) {
        blocks.push({ endMs, kind: 'freeze', reason: `change freeze ${freeze.name}${freeze.reason ? ` (${freeze.reason})` : ''} until ${describeInstant(endMs, timeZone)}` });
      }
    }
  }
  return blocks;
}

/** The freeze's intervals that may contain an instant of local day `today`. */
function freezeIntervals(freeze: Freeze, timeZone: string, today: number): [number, number][] {
  const startMs = instantOf(freeze.starts, timeZone);
  if (!freeze.rule) return freeze.ends ? [[startMs, instantOf(freeze.ends, timeZone)]] : [];
  const lastsMs = freeze.lastsMs ?? 0;
  const lookBackDays = Math.ceil(lastsMs / 86_400_000) + 1;
  return occurrencesBetween(freeze.rule, freeze.starts, today - lookBackDays, today).map((date) => {
    const begins = instantOf({ ...date, hour: freeze.starts.hour, minute: freeze.starts.minute }, timeZone);
    return [begins, begins + lastsMs];
  });
}

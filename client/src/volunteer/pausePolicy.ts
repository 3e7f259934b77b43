// Why the tab is paused, if it is: the volunteer pressed Pause, the tab is hidden and the
// volunteer asked to pause then, or the device runs on battery below the chosen level. The
// page observes the tab (visibility, the Battery API, which workers lack) and the worker
// decides here, so the rule lives in one place.
import type { VolunteerSettings } from './volunteerSettings';

export const PAUSE_REASONS = {
  user: 'user',
  hidden: 'hidden',
  battery: 'battery',
} as const;
export type PauseReason = (typeof PAUSE_REASONS)[keyof typeof PAUSE_REASONS];

/** The Battery API's reading; level is 0..1 as the API gives it. */
export interface BatteryReading {
  charging: boolean;
  level: number;
}

export interface TabEnvironment {
  hidden: boolean;
  /** Null where the browser has no Battery API (Firefox, Safari) or it failed. */
  battery: BatteryReading | null;
}

export const VISIBLE_UNKNOWN_BATTERY: TabEnvironment = { hidden: false, battery: null };

export function pauseReasons(
  userPaused: boolean,
  settings: Pick<VolunteerSettings, 'pauseWhenHidden' | 'batteryPauseBelowPercent'>,
  environment: TabEnvironment,
): PauseReason[] {
  const reasons: PauseReason[] = [];
  if (userPaused) reasons.push(PAUSE_REASONS.user);
  if (settings.pauseWhenHidden && environment.hidden) reasons.push(PAUSE_REASONS.hidden);
  if (onLowBattery(settings.batteryPauseBelowPercent, environment.battery)) {
    reasons.push(PAUSE_REASONS.battery);
  }
  return reasons;
}

export function onLowBattery(belowPercent: number, battery: BatteryReading | null): boolean {
  if (!battery || battery.charging || belowPercent <= 0) return false;
  return battery.level * 100 < belowPercent;
}

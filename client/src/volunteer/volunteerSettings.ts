// The volunteer's own settings for this browser: how hard the tab may work, when it should
// pause by itself, and the name it is credited under. They come from localStorage, which
// anything may have written, so parsing keeps every valid field and replaces each bad one
// with its default rather than throwing the whole set away.

export interface VolunteerSettings {
  /** Share of time the GPU or CPU may be busy, in percent (THROTTLE_MIN..THROTTLE_MAX). */
  throttlePercent: number;
  /** Pause while the tab is hidden (another tab in front, window minimised). */
  pauseWhenHidden: boolean;
  /** Pause while running on battery below this charge, in percent; 0 never pauses. */
  batteryPauseBelowPercent: number;
  /** Sent in hello; empty keeps the name the coordinator already has (or its handle). */
  displayName: string;
}

export const THROTTLE_MIN_PERCENT = 10;
export const THROTTLE_MAX_PERCENT = 100;
export const THROTTLE_STEP_PERCENT = 5;
/** The coordinator's hello accepts at most 40 characters after trimming. */
export const DISPLAY_NAME_MAX_LENGTH = 40;
/** The levels the page offers; any integer 0..100 parses, these are what people pick from. */
export const BATTERY_LEVEL_CHOICES = [0, 10, 20, 30, 50, 80] as const;

export const DEFAULT_SETTINGS: VolunteerSettings = {
  throttlePercent: THROTTLE_MAX_PERCENT,
  pauseWhenHidden: false,
  batteryPauseBelowPercent: 20,
  displayName: '',
};

/** Any value (parsed JSON, a page patch) as complete, in-range settings. */
export function parseSettings(raw: unknown): VolunteerSettings {
  const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    throttlePercent: throttleFrom(fields.throttlePercent),
    pauseWhenHidden:
      typeof fields.pauseWhenHidden === 'boolean'
        ? fields.pauseWhenHidden
        : DEFAULT_SETTINGS.pauseWhenHidden,
    batteryPauseBelowPercent: batteryLevelFrom(fields.batteryPauseBelowPercent),
    displayName: displayNameFrom(fields.displayName),
  };
}

/** The settings after a change from the page, normalised the same way as stored ones. */
export function updateSettings(
  current: VolunteerSettings,
  change: Partial<VolunteerSettings>,
): VolunteerSettings {
  return parseSettings({ ...current, ...change });
}

function throttleFrom(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return DEFAULT_SETTINGS.throttlePercent;
  }
  return Math.min(THROTTLE_MAX_PERCENT, Math.max(THROTTLE_MIN_PERCENT, Math.round(value)));
}

function batteryLevelFrom(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return DEFAULT_SETTINGS.batteryPauseBelowPercent;
  }
  return Math.min(100, Math.max(0, Math.round(value)));
}

function displayNameFrom(value: unknown): string {
  if (typeof value !== 'string') return DEFAULT_SETTINGS.displayName;
  // Control characters would reach other people's screens on the leaderboard.
  const printable = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return printable.replace(/\s+/g, ' ').trim().slice(0, DISPLAY_NAME_MAX_LENGTH).trim();
}

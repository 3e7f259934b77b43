// The volunteer's settings on the contribute page: how much of the device the tab may use,
// when it pauses by itself, and the name it is credited under. Every control applies at once
// (the page sends the settings to the worker) and is kept in localStorage.
import { useEffect, useId, useState, type FormEvent } from 'react';
import {
  BATTERY_LEVEL_CHOICES,
  DISPLAY_NAME_MAX_LENGTH,
  THROTTLE_MAX_PERCENT,
  THROTTLE_MIN_PERCENT,
  THROTTLE_STEP_PERCENT,
  type VolunteerSettings,
} from '../volunteer/volunteerSettings';
import { throttleWords } from './statusWords';

export interface VolunteerSettingsPanelProps {
  settings: VolunteerSettings;
  change(patch: Partial<VolunteerSettings>): void;
  batterySupported: boolean;
  /** The name the coordinator greeted this volunteer with, once connected. */
  knownAs: string | null;
  /** What the throttle limits, in words: "the GPU", "the CPU", "your device". */
  deviceNoun: string;
}

export function VolunteerSettingsPanel({
  settings,
  change,
  batterySupported,
  knownAs,
  deviceNoun,
}: VolunteerSettingsPanelProps) {
  const ids = useId();
  const [draftName, setDraftName] = useState(settings.displayName);
  // A saved name comes back normalised (trimmed, spaces collapsed): show what was kept.
  useEffect(() => setDraftName(settings.displayName), [settings.displayName]);
  const commitName = (): void => change({ displayName: draftName });
  const onNameSubmit = (event: FormEvent): void => {
    event.preventDefault();
    commitName();
  };

  return (
    <section className="card settings" aria-label="Settings">
      <h2>Settings</h2>

      <div className="setting">
        <label htmlFor={`${ids}-throttle`}>
          Keep {deviceNoun} busy at most{' '}
          <strong data-testid="throttle-value">{throttleWords(settings.throttlePercent)}</strong>
        </label>
        <input
          id={`${ids}-throttle`}
          type="range"
          data-testid="throttle"
          min={THROTTLE_MIN_PERCENT}
          max={THROTTLE_MAX_PERCENT}
          step={THROTTLE_STEP_PERCENT}
          value={settings.throttlePercent}
          onChange={(event) => change({ throttlePercent: Number(event.target.value) })}
        />
        <p className="setting-help">
          The tab rests between pieces of work so the device is busy only this share of the time.
        </p>
      </div>

      <div className="setting setting-inline">
        <input
          id={`${ids}-hidden`}
          type="checkbox"
          data-testid="pause-when-hidden"
          checked={settings.pauseWhenHidden}
          onChange={(event) => change({ pauseWhenHidden: event.target.checked })}
        />
        <label htmlFor={`${ids}-hidden`}>Pause while this tab is hidden</label>
      </div>

      <div className="setting">
        <label htmlFor={`${ids}-battery`}>On battery, pause below</label>
        <select
          id={`${ids}-battery`}
          data-testid="battery-level"
          value={settings.batteryPauseBelowPercent}
          disabled={!batterySupported}
          onChange={(event) => change({ batteryPauseBelowPercent: Number(event.target.value) })}
        >
          {batteryChoices(settings.batteryPauseBelowPercent).map((level) => (
            <option key={level} value={level}>
              {level === 0 ? 'never pause on battery' : `${level}% charge`}
            </option>
          ))}
        </select>
        {!batterySupported && (
          <p className="setting-help">This browser does not report its battery.</p>
        )}
      </div>

      <form className="setting" onSubmit={onNameSubmit}>
        <label htmlFor={`${ids}-name`}>Display name (shown on the leaderboard)</label>
        <input
          id={`${ids}-name`}
          type="text"
          data-testid="display-name"
          maxLength={DISPLAY_NAME_MAX_LENGTH}
          placeholder="anonymous"
          autoComplete="nickname"
          value={draftName}
          onChange={(event) => setDraftName(event.target.value)}
          onBlur={commitName}
        />
        <p className="setting-help" data-testid="known-as">
          {knownAs
            ? `The coordinator knows you as ${knownAs}.`
            : 'Sent when you contribute; leave empty to stay an anonymous handle.'}
        </p>
      </form>
    </section>
  );
}

/** The offered levels, plus a stored level that is not among them, so it shows as chosen. */
function batteryChoices(current: number): number[] {
  const choices: number[] = [...BATTERY_LEVEL_CHOICES];
  if (!choices.includes(current)) choices.push(current);
  return choices.sort((a, b) => a - b);
}

// The volunteer's settings as React state, kept in localStorage: loaded once when the page
// opens, saved after every change, so they survive a reload.
import { useCallback, useEffect, useState } from 'react';
import { loadSettings, saveSettings } from '../volunteer/settingsStorage';
import { updateSettings, type VolunteerSettings } from '../volunteer/volunteerSettings';

export function useVolunteerSettings(): [
  VolunteerSettings,
  (change: Partial<VolunteerSettings>) => void,
] {
  const [settings, setSettings] = useState<VolunteerSettings>(() => loadSettings());
  useEffect(() => saveSettings(settings), [settings]);
  const change = useCallback((patch: Partial<VolunteerSettings>) => {
    setSettings((current) => updateSettings(current, patch));
  }, []);
  return [settings, change];
}

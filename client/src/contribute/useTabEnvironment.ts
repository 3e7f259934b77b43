// What the page can observe about the tab and the worker cannot: whether the tab is hidden
// (visibilitychange) and the battery's state (the Battery API, page-only, and only in some
// browsers: feature-detected, and null where it is missing or refuses).
import { useEffect, useMemo, useState } from 'react';
import type { BatteryReading, TabEnvironment } from '../volunteer/pausePolicy';

/** The slice of the Battery API's BatteryManager used here (not in TypeScript's DOM lib). */
interface BatteryManagerLike extends EventTarget {
  readonly charging: boolean;
  readonly level: number;
}

type NavigatorWithBattery = Navigator & { getBattery?: () => Promise<BatteryManagerLike> };

export interface TabObservations {
  environment: TabEnvironment;
  /** False where the browser has no Battery API: the battery setting cannot apply. */
  batterySupported: boolean;
}

function isHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}

export function useTabEnvironment(): TabObservations {
  const [hidden, setHidden] = useState(isHidden);
  const [battery, setBattery] = useState<BatteryReading | null>(null);
  const [batterySupported] = useState(
    () => typeof (navigator as NavigatorWithBattery).getBattery === 'function',
  );

  useEffect(() => {
    const onVisibility = (): void => setHidden(isHidden());
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, []);

  useEffect(() => {
    const getBattery = (navigator as NavigatorWithBattery).getBattery;
    if (typeof getBattery !== 'function') return;
    let manager: BatteryManagerLike | null = null;
    let cancelled = false;
    const read = (): void => {
      if (manager) setBattery({ charging: manager.charging, level: manager.level });
    };
    getBattery
      .call(navigator)
      .then((found) => {
        if (cancelled) return;
        manager = found;
        read();
        found.addEventListener('chargingchange', read);
        found.addEventListener('levelchange', read);
      })
      .catch(() => {
        // Refused (a permissions policy, an insecure context): the setting cannot apply.
        setBattery(null);
      });
    return () => {
      cancelled = true;
      manager?.removeEventListener('chargingchange', read);
      manager?.removeEventListener('levelchange', read);
    };
  }, []);

  // One object per change, not per render: the page sends it to the worker when it changes.
  const environment = useMemo(() => ({ hidden, battery }), [hidden, battery]);
  return { environment, batterySupported };
}

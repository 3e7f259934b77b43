// How many volunteer tabs online can run a Monte Carlo workload's units (the REST view's
// `capableVolunteers`): a researcher's WGSL kernel runs only in tabs with WebGPU, so with none
// online its units wait, and the page says so rather than leaving the bar still.
import { wholeNumber } from '../dashboard/formatting';
import './kernel.css';

export function CapableVolunteers(props: { count: number; webgpuOnly: boolean }) {
  const { count, webgpuOnly } = props;
  const tabs = webgpuOnly
    ? count === 1
      ? 'WebGPU tab'
      : 'WebGPU tabs'
    : count === 1
      ? 'volunteer tab'
      : 'volunteer tabs';
  const words =
    count === 0
      ? webgpuOnly
        ? 'No volunteer tab with WebGPU is online: kernel units wait for a browser that has WebGPU.'
        : 'No volunteer tab is online: units wait for one.'
      : `${wholeNumber(count)} ${tabs} online can run its units${webgpuOnly ? ' (kernel units go only to tabs with WebGPU)' : ''}.`;
  return (
    <p className={`wl-capable${count === 0 ? ' none' : ''}`} data-testid="workload-capable">
      {words}
    </p>
  );
}

// Turns a WebGPU adapter's info into the words the contribute page shows and the coordinator
// records, and decides whether the adapter is a software rasteriser (SwiftShader and friends),
// which the volunteer should know: it is the CPU doing GPU work, slowly.
export interface AdapterDescription {
  text: string;
  software: boolean;
}

/** The coordinator's deviceInfo.adapter field holds at most 200 characters. */
const MAX_ADAPTER_TEXT = 200;

type AdapterInfoFields = Pick<
  GPUAdapterInfo,
  'vendor' | 'architecture' | 'device' | 'description'
> & { isFallbackAdapter?: boolean };

export function describeAdapter(info: AdapterInfoFields): AdapterDescription {
  const fields = [info.vendor, info.architecture, info.device, info.description]
    .map((field) => (field ?? '').trim())
    .filter((field) => field.length > 0);
  // The description is the most readable field when a browser fills it in; many leave it empty
  // for privacy and only give vendor and architecture.
  const description = info.description?.trim() ?? '';
  const named =
    description.length > 0 ? description : [info.vendor, info.architecture].join(' ').trim();
  const text = (named.length > 0 ? named : 'unnamed adapter').slice(0, MAX_ADAPTER_TEXT);
  const software = info.isFallbackAdapter === true || fields.some((f) => /swiftshader/i.test(f));
  return { text, software };
}

// How far a dataset upload has gone. `fetch` cannot tell how much of a request body has been
// sent (a streamed body needs HTTP/2 in Chromium), XMLHttpRequest can: `fetchWithUploadProgress`
// is a fetch for TesseraClient's `fetch` option that sends through XMLHttpRequest and reports
// the bytes sent as they go. Everything else (answers, refusals, Cancel) is TesseraClient's.
import { sizeWords } from './datasetWords';

/** Answers with no body: a Response built with one is refused by the Response constructor. */
const NO_BODY = new Set([101, 204, 205, 304]);

export type UploadProgress = (sent: number, total: number) => void;

export function fetchWithUploadProgress(onProgress: UploadProgress): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(init.method ?? 'GET', input instanceof Request ? input.url : String(input));
      for (const [name, value] of new Headers(init.headers).entries()) {
        xhr.setRequestHeader(name, value);
      }
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      };
      xhr.onload = () => {
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
        const body = NO_BODY.has(xhr.status) ? null : xhr.responseText;
        resolve(new Response(body, { status: xhr.status, headers }));
      };
      // As fetch fails: a TypeError for the network, an AbortError for a cancel.
      xhr.onerror = () => reject(new TypeError('the upload failed: network error'));
      xhr.ontimeout = () => reject(new TypeError('the upload timed out'));
      xhr.onabort = () => reject(new DOMException('the upload was cancelled', 'AbortError'));
      const signal = init.signal;
      if (signal?.aborted) {
        xhr.abort();
        return;
      }
      signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send((init.body ?? null) as XMLHttpRequestBodyInit | null);
    });
}

/** "1.2 MB of 4.0 MB (30%)", or, once every byte is sent, that the coordinator is checking it. */
export function progressWords(sent: number, total: number): string {
  if (total <= 0) return 'starting…';
  if (sent >= total)
    return `all ${sizeWords(total)} sent; the coordinator is checking the last of it…`;
  const percent = Math.floor((100 * sent) / total);
  return `${sizeWords(sent)} of ${sizeWords(total)} sent (${percent}%)`;
}

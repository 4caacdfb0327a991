// The deepsift API from the browser: the API key (kept for the tab's session), JSON calls,
// uploads with progress, and the server-sent event stream (read with fetch so that it can
// carry the key, which EventSource cannot).

const KEY_STORAGE = 'deepsift-api-key';

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

function headers(extra = {}) {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}`, ...extra } : extra;
}

/** An API error: HTTP status, the API's code and message. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function failure(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: keep the status
  }
  return new ApiFailure(response.status, body.code ?? `HTTP_${response.status}`, body.message ?? response.statusText);
}

/** GET a JSON route; throws ApiFailure. */
export async function getJson(route) {
  const response = await fetch(route, { headers: headers() });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** POST JSON; throws ApiFailure. */
export async function postJson(route, body) {
  const response = await fetch(route, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** Uploads a file with progress (0..1); resolves with { jobId, videoId }. */
export function uploadVideo(file, detectors, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const query = detectors.length > 0 ? `?detectors=${encodeURIComponent(detectors.join(','))}` : '';
    xhr.open('POST', `/api/v1/videos${query}`);
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status === 202) resolve(body);
      else reject(new ApiFailure(xhr.status, body.code ?? `HTTP_${xhr.status}`, body.message ?? xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiFailure(0, 'NETWORK', 'the upload was interrupted (network error or the server closed the connection)'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * Follows /api/v1/events: calls onEvent({ type, data }) for each event, reconnects after
 * a drop; returns a function that stops it.
 */
export function followEvents(onEvent, onState = () => {}) {
  const controller = new AbortController();
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const response = await fetch('/api/v1/events', { headers: headers(), signal: controller.signal });
        if (!response.ok) throw await failure(response);
        onState('live');
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffered = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type && data) onEvent({ type, data: JSON.parse(data) });
          }
        }
      } catch (error) {
        if (stopped) return;
        onState(error instanceof ApiFailure && error.status === 401 ? 'unauthorized' : 'reconnecting');
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}

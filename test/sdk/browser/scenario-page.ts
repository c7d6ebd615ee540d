/**
 * The page a browser scenario loads: posthog-js from the page server, then
 * posthog.init pointed at capture. Two hooks make the run checkable:
 *
 * - `before_send` (a documented posthog-js option) stamps
 *   `properties.test_run_id` on every event and appends the final event (uuid,
 *   properties, $set, $set_once, timestamp) to localStorage, so the test knows
 *   every event the SDK sent, $pageleave included (localStorage outlives the
 *   navigation that triggers it; the `/bye` page is same-origin).
 * - `navigator.sendBeacon` is wrapped (before posthog-js loads) to log each
 *   call's URL and Blob type, the page-side evidence that `$pageleave` left by
 *   sendBeacon; the wire proxy holds the bytes.
 * - `window._POSTHOG_REMOTE_CONFIG[token]` when the scenario wants remote
 *   config: posthog-js reads it before asking the network (it is how PostHog's
 *   token-specific array.js ships config), so capture is never asked for
 *   /array/<token>/config or /flags.
 */
export const SENT_LOG_KEY = '__capture_sdk_suite_sent'
export const BEACON_LOG_KEY = '__capture_sdk_suite_beacons'

export interface PageOptions {
  readonly token: string
  readonly apiHost: string
  readonly runId: string
  /** posthog.init options (JSON-able) on top of the suite's defaults. */
  readonly init: Readonly<Record<string, unknown>>
  /** Remote config preloaded as posthog-js's token-specific bundle would; none when undefined. */
  readonly remoteConfig?: Readonly<Record<string, unknown>>
}

/** What the suite always sets: no recording, no flags or remote config from capture, no bot filter, no client rate limit. */
export const BASE_INIT: Readonly<Record<string, unknown>> = {
  disable_session_recording: true,
  advanced_disable_flags: true,
  disable_surveys: true,
  disable_external_dependency_loading: true,
  opt_out_useragent_filter: true,
  autocapture: false,
  capture_pageview: true,
  capture_pageleave: true,
  capture_performance: false,
  capture_heatmaps: false,
  capture_dead_clicks: false,
  capture_exceptions: false,
  rate_limiting: { events_per_second: 1000, events_burst_limit: 10000 },
  request_queue_config: { flush_interval_ms: 250 },
}

const json = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c')

export function scenarioPage(options: PageOptions): string {
  const remote = options.remoteConfig === undefined ? '' : `window._POSTHOG_REMOTE_CONFIG = { ${json(options.token)}: { config: ${json(options.remoteConfig)} } };`
  const init = { ...BASE_INIT, api_host: options.apiHost, ...options.init }
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>capture SDK suite</title></head>
<body><h1>capture SDK suite: ${options.runId}</h1>
<script>
  ${remote}
  (function () {
    var original = navigator.sendBeacon && navigator.sendBeacon.bind(navigator);
    if (!original) return;
    navigator.sendBeacon = function (url, data) {
      var log = JSON.parse(localStorage.getItem(${json(BEACON_LOG_KEY)}) || '[]');
      log.push({ url: String(url), type: data && data.type !== undefined ? data.type : typeof data, size: data && data.size });
      localStorage.setItem(${json(BEACON_LOG_KEY)}, JSON.stringify(log));
      return original(url, data);
    };
  })();
</script>
<script src="/posthog.js"></script>
<script>
  (function () {
    var RUN_ID = ${json(options.runId)};
    var config = ${json(init)};
    config.before_send = function (event) {
      if (!event) return event;
      event.properties = event.properties || {};
      event.properties.test_run_id = RUN_ID;
      var log = JSON.parse(localStorage.getItem(${json(SENT_LOG_KEY)}) || '[]');
      log.push(JSON.parse(JSON.stringify({ uuid: event.uuid, event: event.event, properties: event.properties, $set: event.$set, $set_once: event.$set_once, timestamp: event.timestamp })));
      localStorage.setItem(${json(SENT_LOG_KEY)}, JSON.stringify(log));
      return event;
    };
    config.loaded = function () { window.__phLoaded = true; };
    posthog.init(${json(options.token)}, config);
  })();
</script></body></html>`
}

/**
 * The error catalogue: every request-fatal outcome a client can see, with its
 * HTTP status, its PostHog-API-style `type`, whether a client should retry, the
 * log level, and the default `detail` text. `docs/errors.md` documents the same
 * table and `codes.test.ts` checks that the two agree.
 *
 * Codes are stable API: rename one only with a CHANGELOG line.
 */
export type ErrorType =
  | 'validation_error'
  | 'authentication_error'
  | 'invalid_request'
  | 'throttled'
  | 'billing_error'
  | 'server_error'

export interface CodeSpec {
  readonly status: number
  readonly type: ErrorType
  readonly retryable: boolean
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
}

export const codes = {
  // 400: the request cannot be decoded
  empty_payload: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The request carries no data: send the payload in the body or as a data= parameter.' },
  invalid_form: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The body is declared as a urlencoded form but is not one.' },
  invalid_gzip: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The body is not valid gzip.' },
  invalid_lz64: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The body is not valid lz-string base64.' },
  invalid_utf8: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The decoded body is not valid UTF-8.' },
  invalid_json: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The decoded body is not valid JSON.' },
  invalid_shape: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The body must be an event object, an array of events, or {"batch": [...]}.' },
  empty_batch: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The request holds no event.' },
  // 400: one event breaks a rule (the detail names the event's index)
  invalid_event: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event is not a JSON object.' },
  missing_event_name: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event has no event name.' },
  event_name_too_long: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event name is longer than 200 characters.' },
  missing_distinct_id: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event has no distinct_id.' },
  invalid_properties: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event\'s properties are not a JSON object.' },
  invalid_uuid: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event\'s uuid is not a valid UUID.' },
  invalid_timestamp: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event\'s timestamp or offset has the wrong type.' },
  invalid_cookieless_mode: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event\'s $cookieless_mode is not a boolean.' },
  event_too_deep: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event is nested too deeply to be serialised.' },
  // 400: session recordings (/s, /capture/recording)
  missing_session_id: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'A recording event has no properties.$session_id.' },
  invalid_session_id: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'A recording event\'s $session_id is not a string of 1 to 70 characters from [A-Za-z0-9-].' },
  invalid_window_id: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'A recording event\'s $window_id is not a string.' },
  missing_snapshot_data: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'A recording event has no properties.$snapshot_data array or object.' },
  // 401: the project token
  no_token: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'No project API key found: send it as api_key, token, properties.token or a Token header.' },
  token_empty: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'The project API key is empty.' },
  token_too_long: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'The project API key is longer than 64 bytes.' },
  token_not_ascii: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'The project API key contains non-ASCII characters.' },
  token_personal_api_key: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'A personal API key (phx_...) cannot be used to capture events; use the project API key.' },
  inconsistent_tokens: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'The events of this request carry different project API keys.' },
  // 404 / 405 / 408: the HTTP exchange itself
  not_found: { status: 404, type: 'invalid_request', retryable: false, level: 'debug', message: 'No such endpoint.' },
  method_not_allowed: { status: 405, type: 'invalid_request', retryable: false, level: 'debug', message: 'Method not allowed on this endpoint.' },
  request_timeout: { status: 408, type: 'invalid_request', retryable: true, level: 'info', message: 'The request body did not arrive in time.' },
  // 400 / 417 / 431 / 505: HTTP that node's parser refuses before any route runs (http/client-errors.ts)
  malformed_request: { status: 400, type: 'invalid_request', retryable: false, level: 'info', message: 'The request is not valid HTTP/1.1.' },
  expectation_failed: { status: 417, type: 'invalid_request', retryable: false, level: 'info', message: 'The Expect header asks for something other than 100-continue.' },
  headers_too_large: { status: 431, type: 'invalid_request', retryable: false, level: 'info', message: 'The request line and headers are larger than 16 KiB.' },
  too_many_headers: { status: 431, type: 'invalid_request', retryable: false, level: 'info', message: 'The request has more than 1000 headers.' },
  http_version_not_supported: { status: 505, type: 'invalid_request', retryable: false, level: 'info', message: 'Only HTTP/1.0 and HTTP/1.1 are served.' },
  // 413: sizes
  body_too_large: { status: 413, type: 'validation_error', retryable: false, level: 'info', message: 'The request body is larger than this endpoint accepts.' },
  decoded_too_large: { status: 413, type: 'validation_error', retryable: false, level: 'info', message: 'The decompressed payload is larger than the server accepts.' },
  event_too_large: { status: 413, type: 'validation_error', retryable: false, level: 'info', message: 'An event is larger than the maximum event size.' },
  message_too_large: { status: 413, type: 'validation_error', retryable: false, level: 'warn', message: 'A message is larger than the sink accepts.' },
  snapshot_item_too_large: { status: 413, type: 'validation_error', retryable: false, level: 'warn', message: 'A single snapshot item is larger than one recording message may be (RECORDING_MESSAGE_MAX_BYTES).' },
  // 429 / 503 / 500
  rate_limited: { status: 429, type: 'throttled', retryable: true, level: 'info', message: 'Rate limit exceeded; retry after the time in Retry-After.' },
  sink_unavailable: { status: 503, type: 'server_error', retryable: true, level: 'error', message: 'Events could not be stored; try again later.' },
  spool_full: { status: 503, type: 'server_error', retryable: true, level: 'warn', message: 'Kafka cannot take events right now and the local spool is full; retry after the time in Retry-After.' },
  shutting_down: { status: 503, type: 'server_error', retryable: true, level: 'info', message: 'The server is shutting down; try again.' },
  internal_error: { status: 500, type: 'server_error', retryable: true, level: 'error', message: 'Internal error.' },
  // The debug UI (/_debug/, docs/debug-ui.md)
  debug_unauthorized: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'The debug UI needs DEBUG_UI_TOKEN: send Authorization: Bearer <token>, or open /_debug/?token=<token> once to get the cookie.' },
  debug_viewers_full: { status: 503, type: 'server_error', retryable: true, level: 'warn', message: 'Too many debugger streams are open on this worker; close one and retry.' },
  // Capture V1 (/i/v1/analytics/events): the tags of its {error, error_description, error_uri} body
  // (docs/capture-v1.md). Classic codes raised by shared stages map onto these in http/v1-errors.ts.
  missing_required_headers: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'Required headers are missing.' },
  invalid_header_value: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'A header has a value that is not valid.' },
  request_decoding_error: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The body could not be decompressed or is not UTF-8.' },
  request_parsing_error: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The body is not JSON of the Capture V1 shape.' },
  empty_body: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The request body is empty.' },
  invalid_batch: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'The batch envelope is not valid (created_at must be RFC 3339).' },
  missing_event_uuid: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event has an empty uuid.' },
  invalid_event_uuid: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'An event\'s uuid is not a valid UUID.' },
  duplicate_event_uuid: { status: 400, type: 'validation_error', retryable: false, level: 'info', message: 'Two events of the batch share one uuid.' },
  missing_authorization: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'The Authorization header is missing.' },
  invalid_api_token: { status: 401, type: 'authentication_error', retryable: false, level: 'info', message: 'The project API key in Authorization is not valid.' },
  billing_limit_exceeded: { status: 402, type: 'billing_error', retryable: false, level: 'info', message: 'The project is over its billing limit; no event of this request was kept.' },
  body_read_timeout: { status: 408, type: 'invalid_request', retryable: true, level: 'info', message: 'The request body did not arrive in time.' },
  payload_too_large: { status: 413, type: 'validation_error', retryable: false, level: 'info', message: 'The request body is larger than Capture V1 accepts.' },
  unsupported_content_type: { status: 415, type: 'invalid_request', retryable: false, level: 'info', message: 'Content-Type must be application/json.' },
  unsupported_encoding: { status: 415, type: 'invalid_request', retryable: false, level: 'info', message: 'Content-Encoding must be gzip, deflate, br or zstd.' },
  service_unavailable: { status: 503, type: 'server_error', retryable: true, level: 'warn', message: 'The server cannot take events right now; try again.' },
} as const satisfies Record<string, CodeSpec>

export type CaptureCode = keyof typeof codes

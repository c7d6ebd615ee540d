/* global document, window, EventSource, fetch, URLSearchParams, location */
/**
 * capture debug UI: the live event debugger (server-sent events from
 * /_debug/events) and the operations page (polls /_debug/ops.json).
 * Plain browser JavaScript, no dependency, no build step; charts are
 * hand-drawn SVG. The server masks tokens; this page only shows what it gets.
 */

const MAX_ROWS = 500
const MAX_HELD = 1000
const OPS_POLL_MS = 2000
const COLORS = ['#1d4ed8', '#067647', '#b42318', '#b54708', '#6941c6', '#0e7090', '#c11574', '#475467']

const $ = (selector) => document.querySelector(selector)

function el(tag, attrs, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value))
  }
  for (const child of children) node.append(child instanceof window.Node ? child : document.createTextNode(String(child ?? '')))
  return node
}

/* ---------- views ---------- */

function showView() {
  const ops = location.hash === '#ops'
  $('#view-events').hidden = ops
  $('#view-ops').hidden = !ops
  $('#tab-events').classList.toggle('active', !ops)
  $('#tab-ops').classList.toggle('active', ops)
  if (ops) ops_.start()
  else ops_.stop()
}

/* ---------- events ---------- */

const events_ = {
  source: undefined,
  paused: false,
  held: [],
  shown: 0,
  skipped: 0,
  skippedWhy: {},

  connect() {
    if (this.source) this.source.close()
    const form = new window.FormData($('#filters'))
    const query = new URLSearchParams()
    for (const name of ['token', 'event', 'distinct_id']) {
      const value = String(form.get(name) ?? '').trim()
      if (value !== '') query.set(name, value)
    }
    // A new filter starts a new list: rows of the old one would not match it.
    $('#rows').replaceChildren()
    this.held = []
    this.shown = 0
    this.skipped = 0
    this.skippedWhy = {}
    this.counts()
    const source = new EventSource(`/_debug/events${query.size > 0 ? `?${query}` : ''}`)
    this.source = source
    setConnection('connecting…', '')
    source.onopen = () => setConnection('live', 'ok')
    source.onerror = () => setConnection('disconnected, retrying', 'bad')
    source.addEventListener('event', (message) => this.arrive(JSON.parse(message.data)))
    source.addEventListener('refused', (message) => this.arrive(JSON.parse(message.data)))
    source.addEventListener('skipped', (message) => {
      const { count, reason } = JSON.parse(message.data)
      this.skip(count, reason)
    })
  },

  arrive(record) {
    if (this.paused) {
      if (this.held.length >= MAX_HELD) this.skip(1, 'paused')
      else this.held.push(record)
      this.counts()
      return
    }
    this.render(record)
  },

  skip(count, reason) {
    this.skipped += count
    this.skippedWhy[reason] = (this.skippedWhy[reason] ?? 0) + count
    this.counts()
  },

  togglePause() {
    this.paused = !this.paused
    const button = $('#pause')
    button.textContent = this.paused ? 'Resume' : 'Pause'
    button.classList.toggle('paused', this.paused)
    if (!this.paused) {
      const held = this.held
      this.held = []
      for (const record of held) this.render(record)
    }
    this.counts()
  },

  /** Newest first by the time capture took the record: batches from different workers can arrive out of order. */
  render(record) {
    const rows = $('#rows')
    const row = record.kind === 'refused' ? refusedRow(record) : eventRow(record)
    row.dataset.at = String(record.at)
    let before = rows.firstElementChild
    while (before && Number(before.dataset.at) > record.at) before = before.nextElementSibling
    rows.insertBefore(row, before)
    while (rows.childElementCount > MAX_ROWS) rows.lastElementChild.remove()
    this.shown++
    this.counts()
  },

  counts() {
    $('#shown').textContent = String(this.shown)
    $('#held').textContent = String(this.held.length)
    $('#skipped').textContent = String(this.skipped)
    const why = Object.entries(this.skippedWhy).map(([reason, n]) => `${reason.replace('_', ' ')}: ${n}`).join(', ')
    $('#skipped-why').textContent = why === '' ? '' : `(${why})`
  },
}

function setConnection(text, kind) {
  const badge = $('#connection')
  badge.textContent = text
  badge.className = `badge ${kind}`
}

const timeOf = (ms) => new Date(ms).toISOString().slice(11, 23)

function eventRow(record) {
  const headers = record.headers ?? {}
  const summary = el('div', { class: 'summary' },
    el('span', { class: 'time' }, timeOf(record.at)),
    el('span', { class: 'kind' }, 'event'),
    el('span', { class: 'event-name' }, headers.event ?? ''),
    el('span', { class: 'distinct-id' }, headers.distinct_id ?? ''),
    el('span', { class: 'token' }, headers.token ?? ''),
    el('span', { class: 'topic' }, record.topic))
  return expandable(el('li', { 'data-kind': 'event', 'data-uuid': headers.uuid, 'data-worker': record.worker }, summary), () => eventDetails(record))
}

function refusedRow(record) {
  const summary = el('div', { class: 'summary' },
    el('span', { class: 'time' }, timeOf(record.at)),
    el('span', { class: 'kind' }, `${record.status}`),
    el('span', { class: 'code' }, record.code),
    el('span', { class: 'route' }, `${record.method} ${record.route}`),
    el('span', { class: 'token' }, record.token ?? ''),
    el('span', { class: 'reason' }, record.reason))
  return expandable(el('li', { 'data-kind': 'refused', 'data-code': record.code, 'data-worker': record.worker }, summary), () => refusedDetails(record))
}

function expandable(row, details) {
  row.firstElementChild.addEventListener('click', () => {
    const open = row.querySelector('.details')
    if (open) open.remove()
    else row.append(details())
  })
  return row
}

function eventDetails(record) {
  const table = el('table', { class: 'fields' },
    fieldRow('topic', record.topic),
    fieldRow('key', record.key === null ? '(none: random partition)' : record.key),
    fieldRow('worker', record.worker),
    fieldRow('value bytes', record.valueLength))
  const headers = el('table', { class: 'headers' }, ...Object.entries(record.headers).map(([name, value]) => fieldRow(name, value)))
  const { envelope, data } = parseEnvelope(record)
  return el('div', { class: 'details' },
    table,
    el('h3', {}, 'headers'), headers,
    el('h3', {}, 'envelope'), el('pre', { class: 'envelope' }, envelope),
    el('h3', {}, 'data'), el('pre', { class: 'data' }, data))
}

/** The envelope with `data` (the event as a JSON string) shown apart, both pretty-printed; a cut value is shown as it is. */
function parseEnvelope(record) {
  if (record.truncated) {
    return { envelope: `${record.value}\n… cut at ${record.value.length} of ${record.valueLength} characters`, data: '(see envelope)' }
  }
  try {
    const envelope = JSON.parse(record.value)
    let data = envelope.data
    try {
      data = JSON.stringify(JSON.parse(envelope.data), null, 2)
    } catch {
      data = String(envelope.data)
    }
    const rest = { ...envelope, data: '(below)' }
    return { envelope: JSON.stringify(rest, null, 2), data }
  } catch {
    return { envelope: record.value, data: '' }
  }
}

function refusedDetails(record) {
  return el('div', { class: 'details' }, el('table', { class: 'fields' },
    fieldRow('route', `${record.method} ${record.route}`),
    fieldRow('status', record.status),
    fieldRow('code', record.code),
    fieldRow('reason', record.reason),
    fieldRow('header token', record.token ?? '(none)'),
    fieldRow('worker', record.worker)))
}

const fieldRow = (name, value) => el('tr', {}, el('td', {}, name), el('td', {}, value))

/* ---------- operations ---------- */

const ops_ = {
  timer: undefined,
  start() {
    if (this.timer !== undefined) return
    const poll = () => fetch('/_debug/ops.json', { credentials: 'same-origin' })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`ops.json: ${response.status}`))))
      .then(renderOps)
      .catch((err) => setConnection(String(err.message ?? err), 'bad'))
    poll()
    this.timer = window.setInterval(poll, OPS_POLL_MS)
  },
  stop() {
    if (this.timer !== undefined) window.clearInterval(this.timer)
    this.timer = undefined
  },
}

function renderOps(snapshot) {
  const points = snapshot.points
  const last = points.at(-1)
  renderTiles(snapshot, last)
  const series = (name, pick) => ({ name, values: points.map((p) => [p.t, pick(p)]) })
  const families = (pick) => {
    const names = new Set(points.flatMap((p) => Object.keys(pick(p))))
    return [...names].sort().map((name) => series(name, (p) => pick(p)[name] ?? 0))
  }
  const charts = [
    ['events', 'Events per second', [series('received', (p) => p.received), series('ingested', (p) => p.ingested), series('dropped', (p) => sum(p.dropped))]],
    ['dropped', 'Dropped per second, by cause', families((p) => p.dropped)],
    ['latency', 'Request latency (ms), capture routes', [series('p50', (p) => p.latencyMs?.p50 ?? 0), series('p90', (p) => p.latencyMs?.p90 ?? 0), series('p99', (p) => p.latencyMs?.p99 ?? 0)]],
    ['refused', 'Refused requests per second, by code', families((p) => p.refused)],
    ['limiters', 'Limiter decisions per second', [series('quota', (p) => p.limiter.quota), series('rate (429)', (p) => p.limiter.rate), series('overflow', (p) => p.limiter.overflow), series('dedup', (p) => p.limiter.dedup)]],
    ['spool', 'Spool: written and drained per second', [series('written', (p) => p.spool.writtenPerS), series('drained', (p) => p.spool.drainedPerS)]],
    ['spool-bytes', 'Spool depth (bytes)', [series('bytes', (p) => p.spool.bytes)]],
    ['fail-open', 'Limiter fail-open per second', families((p) => p.failOpen)],
  ]
  const container = $('#charts')
  for (const [id, title, list] of charts) {
    let figure = container.querySelector(`figure[data-chart="${id}"]`)
    if (!figure) {
      figure = el('figure', { 'data-chart': id }, el('figcaption', {}, title))
      container.append(figure)
    }
    figure.replaceChildren(figure.firstElementChild, lineChart(list, snapshot), legend(list))
  }
  renderWorkers(snapshot.workers)
}

const sum = (record) => Object.values(record ?? {}).reduce((a, b) => a + b, 0)

function renderTiles(snapshot, last) {
  const flag = (value, up, down) => (value === null || value === undefined ? 'n/a' : value >= 1 ? up : down)
  const tiles = [
    ['received', last ? `${last.received}/s` : '…'],
    ['ingested', last ? `${last.ingested}/s` : '…'],
    ['dropped', last ? `${round(sum(last.dropped))}/s` : '…'],
    ['p99 latency', last?.latencyMs ? `${last.latencyMs.p99} ms` : '–'],
    ['in flight', last ? last.inflight : '…'],
    ['sink', snapshot.sink],
    ['Kafka', snapshot.sink === 'kafka' ? flag(last?.kafkaReachable, 'reachable', 'UNREACHABLE') : 'not used'],
    ['store', storeState(snapshot, last)],
    ['store breaker', last ? (last.storeBreakerOpen >= 1 ? 'OPEN' : 'closed') : '…'],
    ['fail-open', last ? `${round(sum(last.failOpen))}/s` : '…'],
    ['spool', last ? formatBytes(last.spool.bytes) : '…'],
  ]
  $('#tiles').replaceChildren(...tiles.map(([label, value]) => el('div', { class: 'tile', 'data-tile': label }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value))))
}

/** Redis reports its connection as a gauge; every store reports to each worker's health registry. */
function storeState(snapshot, last) {
  if (last && last.storeConnected !== null && last.storeConnected < 1) return 'FAILING OPEN'
  const reports = snapshot.workers.map((w) => w.status?.health?.store).filter((r) => r !== undefined)
  if (reports.length === 0) return 'n/a'
  const down = reports.find((r) => !r.healthy)
  if (down) return `FAILING OPEN${down.detail ? ` (${down.detail})` : ''}`
  return `healthy${reports[0].detail ? ` (${reports[0].detail})` : ''}`
}

function renderWorkers(workers) {
  const body = $('#workers tbody')
  body.replaceChildren(...workers.map((w) => {
    const health = w.status ? Object.entries(w.status.health).map(([name, report]) => `${name}: ${report.healthy ? 'ok' : `DOWN${report.detail ? ` (${report.detail})` : ''}`}`).join(', ') : ''
    return el('tr', { 'data-worker': w.worker },
      el('td', {}, w.worker), el('td', {}, w.pid), el('td', {}, `${w.upSeconds} s`),
      el('td', {}, w.answered ? w.status.lifecycle : 'NOT ANSWERING'),
      el('td', {}, w.status ? formatBytes(w.status.rssBytes) : ''), el('td', {}, w.status ? formatBytes(w.status.heapUsedBytes) : ''),
      el('td', {}, w.status ? `${Math.round(w.status.eventLoopUtilization * 100)} %` : ''),
      el('td', {}, health))
  }))
}

const SVG = 'http://www.w3.org/2000/svg'
const W = 600
const H = 150
const PAD = { left: 44, right: 8, top: 8, bottom: 18 }

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value))
  return node
}

function lineChart(list, snapshot) {
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' })
  // The last ten minutes at most; a fresh process shows the time it has (at least one minute).
  const end = snapshot.now
  const first = snapshot.points[0]?.t ?? end
  const start = Math.max(end - snapshot.windowMs, Math.min(first, end - 60_000))
  const max = niceMax(Math.max(0, ...list.flatMap((s) => s.values.map(([, v]) => v))))
  const x = (t) => PAD.left + ((t - start) / (end - start)) * (W - PAD.left - PAD.right)
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom)
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction
    chart.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value), stroke: '#e4e7ec', 'stroke-width': 1 }))
    const label = svg('text', { x: PAD.left - 4, y: y(value) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#667085' })
    label.textContent = shortNumber(value)
    chart.append(label)
  }
  for (const [offset, text] of [[0, `-${spanText(end - start)}`], [1, 'now']]) {
    const label = svg('text', { x: offset === 0 ? PAD.left : W - PAD.right, y: H - 4, 'text-anchor': offset === 0 ? 'start' : 'end', 'font-size': 10, fill: '#667085' })
    label.textContent = text
    chart.append(label)
  }
  list.forEach((series, index) => {
    const points = series.values.filter(([t]) => t >= start).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
    chart.append(svg('polyline', { points, fill: 'none', stroke: COLORS[index % COLORS.length], 'stroke-width': 1.6, 'data-series': series.name }))
  })
  return chart
}

function legend(list) {
  const box = el('div', { class: 'legend' })
  if (list.length === 0) box.append('nothing yet')
  list.forEach((series, index) => {
    const swatch = el('i')
    swatch.style.background = COLORS[index % COLORS.length]
    const last = series.values.at(-1)?.[1] ?? 0
    box.append(el('span', { 'data-series': series.name, 'data-last': last }, swatch, `${series.name} ${shortNumber(last)}`))
  })
  return box
}

const spanText = (ms) => (ms >= 90_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`)

function niceMax(value) {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power
  return 10 * power
}

const round = (n) => Math.round(n * 100) / 100
const shortNumber = (n) => (n >= 1e9 ? `${round(n / 1e9)}G` : n >= 1e6 ? `${round(n / 1e6)}M` : n >= 1e4 ? `${round(n / 1e3)}k` : `${round(n)}`)
const formatBytes = (n) => (n >= 1 << 30 ? `${round(n / (1 << 30))} GiB` : n >= 1 << 20 ? `${round(n / (1 << 20))} MiB` : n >= 1024 ? `${round(n / 1024)} KiB` : `${n} B`)

/* ---------- start ---------- */

$('#filters').addEventListener('submit', (submit) => {
  submit.preventDefault()
  events_.connect()
})
$('#pause').addEventListener('click', () => events_.togglePause())
window.addEventListener('hashchange', showView)
events_.connect()
showView()

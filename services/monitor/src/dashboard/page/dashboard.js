// The monitor's dashboard: polls /v1/dashboard every 5 s and draws each figure with uPlot
// (served by the monitor itself). Plain script, no build step.
;(function () {
  'use strict'
  const REFRESH_MS = 5000
  const palette = ['#58a6ff', '#3fb950', '#d29922', '#f85149', '#bc8cff', '#39c5cf', '#ff7b72', '#e3b341', '#79c0ff', '#56d364']
  const charts = new Map()

  const fmt = {
    percent: (v) => `${v.toFixed(v >= 99.95 || v < 10 ? 1 : 0)} %`,
    bytes: (v) => (v >= 1 << 30 ? `${(v / (1 << 30)).toFixed(1)} GiB` : v >= 1 << 20 ? `${(v / (1 << 20)).toFixed(1)} MiB` : v >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${Math.round(v)} B`),
    seconds: (v) => (v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toFixed(v < 0.01 ? 2 : 0)} ms`),
    count: (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
    per_second: (v) => `${v.toFixed(v < 10 ? 2 : 0)}/s`,
  }
  const format = (unit, v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : (fmt[unit] || fmt.count)(v))
  const labelText = (labels) => Object.entries(labels).filter(([k]) => k !== 'le').map(([k, v]) => `${k}=${v}`).join(', ')
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v)
    for (const child of children) node.append(child)
    return node
  }
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '')

  /** Lanes of a queue are drawn as one line per queue. */
  const regroup = {
    queue_depth: (values) => {
      const byQueue = new Map()
      for (const { labels, value } of values) byQueue.set(labels.queue, (byQueue.get(labels.queue) || 0) + value)
      return [...byQueue].map(([queue, value]) => ({ labels: { queue }, value }))
    },
  }

  function seriesOf(id, live) {
    const names = new Set()
    const rows = live.map((point) => {
      const values = (regroup[id] || ((v) => v))(point.values[id] || [])
      const row = new Map()
      for (const { labels, value } of values) {
        const name = labelText(labels) || 'all'
        names.add(name)
        row.set(name, value)
      }
      return row
    })
    const ordered = [...names].sort()
    return { names: ordered, data: [live.map((p) => p.at / 1000), ...ordered.map((name) => rows.map((row) => (row.has(name) ? row.get(name) : null)))] }
  }

  function drawChart(container, key, title, unit, names, data, xRange) {
    let entry = charts.get(key)
    if (entry && entry.names.join('|') === names.join('|')) {
      entry.plot.setData(data)
      return
    }
    if (entry) entry.plot.destroy()
    let box = container.querySelector(`[data-chart="${key}"]`)
    if (!box) {
      box = el('div', { class: 'chart', 'data-chart': key })
      container.append(box)
    }
    box.replaceChildren(el('h2', {}, title))
    if (names.length === 0) {
      box.append(el('div', { class: 'empty' }, 'no data yet'))
      charts.delete(key)
      return
    }
    const plot = new uPlot(
      {
        width: Math.max(280, box.clientWidth - 24),
        height: 200,
        series: [{}, ...names.map((name, i) => ({ label: name, stroke: palette[i % palette.length], width: 2, spanGaps: true, value: (u, v) => format(unit, v) }))],
        axes: [
          { stroke: '#8b96a5', grid: { stroke: '#2a3441' } },
          { stroke: '#8b96a5', grid: { stroke: '#2a3441' }, size: 84, values: (u, ticks) => ticks.map((v) => format(unit, v)) },
        ],
        // Trends span their whole period (a new installation has only an hour or two of them).
        scales: { x: { time: true, range: (u, min, max) => xRange || (min === max ? [min - 3600, max + 3600] : [min, max]) }, y: { range: unit === 'percent' ? [0, 100] : (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        legend: { live: false },
      },
      data,
      box,
    )
    charts.set(key, { plot, names })
  }

  function renderStatus(body) {
    const firing = body.alerts.filter((a) => a.state === 'firing')
    const worst = firing.some((a) => a.severity === 'critical') ? 'critical' : firing.length ? 'warning' : 'ok'
    const up = body.targets.filter((t) => t.up).length
    document.getElementById('status').replaceChildren(
      el('span', { class: `badge ${worst}`, 'data-testid': 'firing-count' }, `${firing.length} firing`),
      el('span', { class: `badge ${up === body.targets.length ? 'ok' : 'critical'}` }, `${up}/${body.targets.length} processes up`),
      el('span', { class: 'badge' }, `updated ${new Date().toLocaleTimeString()}`),
    )
  }

  function renderTables(body) {
    const alerts = document.querySelector('#alerts tbody')
    alerts.replaceChildren(
      ...(body.alerts.length
        ? body.alerts.map((a) => el('tr', {}, el('td', {}, a.rule), el('td', { class: `sev-${a.severity}` }, a.severity), el('td', { class: `state-${a.state}` }, a.state), el('td', {}, time(a.since)), el('td', {}, String(Math.round(a.value * 100) / 100)), el('td', { class: 'labels' }, labelText(a.labels))))
        : [el('tr', {}, el('td', { class: 'none', colspan: '6' }, 'nothing firing'))]),
    )
    const history = document.querySelector('#history tbody')
    history.replaceChildren(
      ...(body.history.length
        ? body.history.map((e) => el('tr', {}, el('td', {}, e.rule), el('td', { class: `sev-${e.severity}` }, e.severity), el('td', {}, new Date(e.startedAt).toLocaleString()), el('td', {}, e.endedAt ? time(e.endedAt) : 'firing'), el('td', {}, String(Math.round(e.peakValue * 100) / 100)), el('td', { class: 'labels' }, labelText(e.labels))))
        : [el('tr', {}, el('td', { class: 'none', colspan: '6' }, 'no episodes yet'))]),
    )
    document.getElementById('targets').replaceChildren(...body.targets.map((t) => el('li', { class: t.up ? 'up' : 'down' }, t.instance)))
  }

  /** One figure per tile: the newest value (several label sets: their mean, or their sum for counts and rates). */
  function renderTiles(body) {
    const newest = body.live[body.live.length - 1]
    const tiles = body.series.map((s) => {
      const values = ((regroup[s.id] || ((v) => v))((newest && newest.values[s.id]) || [])).map((v) => v.value)
      const sum = values.reduce((a, b) => a + b, 0)
      const value = values.length === 0 ? null : s.unit === 'count' || s.unit === 'per_second' ? sum : s.unit === 'percent' || s.id.endsWith('ratio') ? sum / values.length : Math.max(...values)
      return el('div', { class: 'tile', 'data-series': s.id }, el('div', { class: 'label' }, s.title), el('div', { class: 'value' }, format(s.unit, value)))
    })
    document.getElementById('tiles').replaceChildren(...tiles)
  }

  function renderCharts(body) {
    const container = document.getElementById('charts')
    for (const s of body.series) {
      const { names, data } = seriesOf(s.id, body.live)
      drawChart(container, s.id, s.title, s.unit, names, data)
    }
  }

  async function renderTrends() {
    const response = await fetch('/v1/dashboard/trends?hours=168')
    if (!response.ok) return
    const { items } = await response.json()
    const container = document.getElementById('trends')
    const ids = ['cache_l1_hit_ratio', 'task_throughput', 'http_p99', 'alerts_started']
    const units = { cache_l1_hit_ratio: 'percent', task_throughput: 'per_second', http_p99: 'seconds', alerts_started: 'count' }
    for (const id of ids) {
      const rows = items.filter((i) => i.metric === id)
      const hours = [...new Set(rows.map((r) => r.at))].sort()
      const names = [...new Set(rows.map((r) => labelText(r.labels) || 'all'))].sort()
      const data = [hours.map((h) => Date.parse(h) / 1000), ...names.map((name) => hours.map((h) => { const row = rows.find((r) => r.at === h && (labelText(r.labels) || 'all') === name); return row ? row.value : null }))]
      const now = Date.now() / 1000
      drawChart(container, `trend-${id}`, `${id.replace(/_/g, ' ')} (hourly, 7 days)`, units[id], names, data, [now - 7 * 86400, now + 3600])
    }
  }

  async function refresh() {
    try {
      const response = await fetch('/v1/dashboard')
      if (!response.ok) throw new Error(`the monitor answered ${response.status}`)
      const body = await response.json()
      renderStatus(body)
      renderTables(body)
      renderTiles(body)
      renderCharts(body)
      document.body.dataset.updated = String(Date.now())
    } catch (err) {
      document.getElementById('status').replaceChildren(el('span', { class: 'badge critical' }, `monitor unreachable: ${err.message}`))
    }
  }

  refresh()
  renderTrends()
  setInterval(refresh, REFRESH_MS)
  setInterval(renderTrends, 60 * REFRESH_MS)
})()

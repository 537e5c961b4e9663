import t from 'tap'
import { bucketQuantile, evaluateSignal, increaseOf } from '../src/engine/evaluate-signal.ts'
import { AlertTracker } from '../src/engine/alert-tracker.ts'
import { applyOverride } from '../src/rules/effective-rules.ts'
import { loadRulesFile } from '../src/rules/load-rules.ts'
import { parseExposition } from '../src/scrape/exposition.ts'
import { endpointSlicesToTargets } from '../src/scrape/kubernetes-targets.ts'
import { ScrapeHistory } from '../src/scrape/scrape-history.ts'

t.test('the exposition parser keeps every series of a histogram with its labels', async (t) => {
  const samples = parseExposition(
    [
      '# HELP h d',
      '# UNIT h s',
      '# TYPE h histogram',
      'h_count{route="/a",code="200"} 3',
      'h_bucket{route="/a",code="200",le="1"} 2',
      'h_bucket{route="/a",code="200",le="+Inf"} 3',
      'h_bucket{route="/b",code="500",le="+Inf"} 1',
      'odd{text="a \\"quoted\\", comma"} 1.5e3 1700000000000',
    ].join('\n'),
  )
  t.same(samples.map(({ key: _key, ...sample }) => sample), [
    { name: 'h_count', labels: { route: '/a', code: '200' }, value: 3 },
    { name: 'h_bucket', labels: { route: '/a', code: '200', le: '1' }, value: 2 },
    { name: 'h_bucket', labels: { route: '/a', code: '200', le: '+Inf' }, value: 3 },
    { name: 'h_bucket', labels: { route: '/b', code: '500', le: '+Inf' }, value: 1 },
    { name: 'odd', labels: { text: 'a "quoted", comma' }, value: 1500 },
  ])
  t.equal(samples[0]!.key, 'h_count{route="/a",code="200"}', 'each sample keeps its series as written')
  t.same(parseExposition('a 1\nb 2\n', (name) => name === 'b'), [{ name: 'b', labels: {}, value: 2, key: 'b' }], 'unwanted metrics are dropped')
})

t.test('increase counts a counter restart as growth from zero; quantiles interpolate as Prometheus does', async (t) => {
  t.equal(increaseOf([{ at: 0, value: 5 }, { at: 1, value: 8 }, { at: 2, value: 2 }, { at: 3, value: 4 }]), 3 + 2 + 2)
  t.equal(increaseOf([{ at: 0, value: 5 }]), undefined, 'one point has no increase')
  const buckets: [number, number][] = [[0.1, 50], [0.5, 90], [1, 100], [Infinity, 100]]
  t.equal(bucketQuantile(0.5, buckets), 0.1)
  t.equal(bucketQuantile(0.7, buckets), 0.1 + 0.4 * (20 / 40))
  t.equal(bucketQuantile(0.99, [[1, 0], [Infinity, 10]]), 1, 'the +Inf bucket answers the highest finite bound')
  t.equal(bucketQuantile(0.5, [[1, 0], [Infinity, 0]]), undefined, 'no observations, no quantile')
})

t.test('signals over scrapes: ratios by label, and a counter that appears late counts from zero', async (t) => {
  const history = new ScrapeHistory(60_000)
  const scrape = (at: number, hits: number, misses: number, dead?: number) =>
    history.add('a:1', {
      at,
      ok: true,
      samples: [
        { name: 'req_total', labels: { type: 'org', result: 'hit' }, value: hits },
        { name: 'req_total', labels: { type: 'org', result: 'miss' }, value: misses },
        ...(dead === undefined ? [] : [{ name: 'dead_total', labels: { queue: 'auth' }, value: dead }]),
      ],
    })
  scrape(0, 0, 0)
  scrape(1_000, 30, 10)
  scrape(2_000, 60, 20, 1)
  const ratio = evaluateSignal({ kind: 'ratio', numerator: { metric: 'req_total', match: { result: 'hit' } }, denominator: { metric: 'req_total' }, window: '1m', by: ['type'], scale: 100 }, history, 2_000)
  t.same(ratio, [{ labels: { type: 'org' }, value: 75 }])
  t.same(evaluateSignal({ kind: 'increase', metric: 'dead_total', window: '1m', by: ['queue'] }, history, 2_000), [{ labels: { queue: 'auth' }, value: 1 }])
  t.same(evaluateSignal({ kind: 'gauge', metric: 'up', aggregate: 'min', by: ['instance'] }, history, 2_000), [{ labels: { instance: 'a:1' }, value: 1 }])
})

t.test('an alert is pending for its `for`, then fires; it resolves when its series disappears', async (t) => {
  const definition = loadRulesFile().rules.find((r) => r.name === 'high_cpu_usage')!
  const rule = applyOverride(definition, { threshold: 50, for: '10s' })
  const tracker = new AlertTracker()
  const high = [{ labels: { instance: 'x' }, value: 90 }]
  t.same(tracker.advance(rule, high, 0).fired, [])
  t.equal(tracker.list()[0]?.state, 'pending')
  t.same(tracker.advance(rule, high, 9_999).fired, [], 'not before its for')
  t.equal(tracker.advance(rule, [{ labels: { instance: 'x' }, value: 95 }], 10_000).fired.length, 1)
  t.equal(tracker.advance(rule, [{ labels: { instance: 'x' }, value: 99 }], 11_000).worsened[0]?.peak, 99, 'the peak follows the worst value')
  const resolved = tracker.advance(rule, [], 12_000).resolved
  t.equal(resolved[0]?.endedAt, 12_000)
  t.same(tracker.list(), [])
})

t.test('Kubernetes EndpointSlices map to one target per ready pod, on the named port', async (t) => {
  const targets = endpointSlicesToTargets(
    [
      {
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['10.0.0.7'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'latchkey-permission-abc' } },
          { addresses: ['10.0.0.8'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'latchkey-permission-def' } },
          { addresses: ['10.0.0.9'] },
        ],
        ports: [{ name: 'grpc', port: 50051 }, { name: 'http', port: 8080 }],
      },
      { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.1.1'] }], ports: [{ name: 'grpc', port: 50051 }] },
    ],
    'http',
  )
  t.same(targets.map((target) => target.instance), ['latchkey-permission-abc', '10.0.0.9:8080'])
})

import t from 'tap'
import { prepareTracing, tracingRequested, tracingStarted } from '../src/index.ts'

// When the standard OTEL_* variables turn tracing on: only when they say where spans go.

t.test('off when no OTEL_* variable is set', async (t) => {
  t.equal(tracingRequested({}), false)
  const tracing = await prepareTracing({})
  t.equal(tracing.enabled, false)
  tracing.start('latchkey-test')
  t.equal(tracingStarted(), false, 'starting the off tracing records nothing')
})

t.test('OTEL_SERVICE_NAME or resource attributes alone only name the process', async (t) => {
  t.equal(tracingRequested({ OTEL_SERVICE_NAME: 'latchkey-a', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test' }), false)
})

t.test('on with an OTLP endpoint, a traces endpoint, or a traces exporter', async (t) => {
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true)
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true)
  t.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' }), true)
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), false, 'a blank value is no endpoint')
})

t.test('OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off again', async (t) => {
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }), false)
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' }), false)
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }), false)
  t.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'false' }), true)
})

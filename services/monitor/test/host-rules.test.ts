import { jsonClient, startAlertmanager } from '@latchkey/testing'
import t from 'tap'
import { fireAndResolve, startMonitorApp } from './helpers.ts'

// The host rules read the monitor's own process (MONITOR_SELF): its CPU, memory and disk.
t.test('host CPU, memory and disk rules fire when lowered below what the host shows, and resolve when raised', async (t) => {
  const alertmanager = await startAlertmanager(t)
  const { url } = await startMonitorApp(t, { ALERTMANAGER_URL: alertmanager.url })
  const client = jsonClient(url)
  for (const rule of ['high_memory_usage', 'low_disk_space', 'high_cpu_usage']) {
    await t.test(rule, (t) => fireAndResolve(t, { client, alertmanager, rule, breach: { threshold: 0 }, restore: { threshold: 100 }, labels: { instance: /.+/ } }))
  }
})

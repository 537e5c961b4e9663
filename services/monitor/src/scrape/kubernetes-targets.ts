import { DiscoveryV1Api, KubeConfig, type V1EndpointSlice } from '@kubernetes/client-node'
import { httpTarget, type ScrapeTarget } from './scrape-target.ts'

/**
 * The scrape targets behind a set of EndpointSlices: every ready endpoint's address on the port
 * named `portName`, labelled by its pod's name (what `kubectl get pods` shows).
 */
export function endpointSlicesToTargets(slices: V1EndpointSlice[], portName: string): ScrapeTarget[] {
  const targets = new Map<string, ScrapeTarget>()
  for (const slice of slices) {
    const port = slice.ports?.find((p) => p.name === portName)?.port
    if (port === undefined) continue
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue
      const address = endpoint.addresses[0]
      if (address === undefined) continue
      const host = slice.addressType === 'IPv6' ? `[${address}]` : address
      const instance = endpoint.targetRef?.kind === 'Pod' && endpoint.targetRef.name ? endpoint.targetRef.name : `${host}:${port}`
      targets.set(instance, httpTarget(`http://${host}:${port}`, instance))
    }
  }
  return [...targets.values()]
}

/**
 * Finds the services' pods through the Kubernetes API (in-cluster service account, or the local
 * kubeconfig): the EndpointSlices in `namespace` matching `labelSelector`. The chart's Role must
 * allow `list` on `endpointslices` (discovery.k8s.io).
 */
export function kubernetesDiscovery(options: { namespace: string; labelSelector: string; portName: string }): () => Promise<ScrapeTarget[]> {
  const config = new KubeConfig()
  config.loadFromDefault()
  const api = config.makeApiClient(DiscoveryV1Api)
  return async () => {
    const list = await api.listNamespacedEndpointSlice({ namespace: options.namespace, labelSelector: options.labelSelector })
    return endpointSlicesToTargets(list.items, options.portName)
  }
}

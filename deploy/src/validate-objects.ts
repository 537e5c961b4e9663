import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1'
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { ConfigMap, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { Job } from 'kubernetes-models/batch/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import type { KubeObject } from './render-chart.ts'

interface Model {
  new (data: never): { validate(): void }
}

/**
 * The models (generated from the Kubernetes OpenAPI schemas and from the KEDA and Prometheus
 * Operator CRDs by kubernetes-models) of every kind the chart may render: an object of any other
 * kind is an error too, so a new template cannot slip past validation.
 */
const models: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Pod': Pod,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
}

/** Validates each object against its kind's schema; returns one line per invalid object. */
export function validateObjects(objects: KubeObject[]): string[] {
  const problems: string[] = []
  for (const object of objects) {
    const id = `${object.apiVersion}/${object.kind}`
    const model = models[id]
    if (!model) {
      problems.push(`${id} ${object.metadata.name}: no schema for this kind`)
      continue
    }
    try {
      new model(object as never).validate()
    } catch (err) {
      problems.push(`${id} ${object.metadata.name}: ${(err as Error).message}`)
    }
  }
  return problems
}

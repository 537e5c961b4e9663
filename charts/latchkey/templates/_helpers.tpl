{{/*
The release's object names: `<release>-<target>` (or `<fullnameOverride>-<target>`), so that
`kubectl scale deployment/<release>-task-worker` names the Deployment without guessing.
*/}}
{{- define "latchkey.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "latchkey.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "latchkey.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "latchkey.labels" -}}
{{ include "latchkey.selectorLabels" . }}
helm.sh/chart: {{ include "latchkey.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: latchkey
{{- end -}}

{{/* Selector labels of one target; call with (dict "root" $ "target" $name). */}}
{{- define "latchkey.targetSelectorLabels" -}}
{{ include "latchkey.selectorLabels" .root }}
app.kubernetes.io/component: {{ .target }}
{{- end -}}

{{- define "latchkey.targetLabels" -}}
{{ include "latchkey.labels" .root }}
app.kubernetes.io/component: {{ .target }}
{{- end -}}

{{- define "latchkey.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "latchkey.secretName" -}}
{{- default (printf "%s-secrets" (include "latchkey.fullname" .)) .Values.secret.existingSecret -}}
{{- end -}}

{{- define "latchkey.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "latchkey.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* NATS_NAMESPACE of the installation (the program's default when unset). */}}
{{- define "latchkey.natsNamespace" -}}
{{- default "latchkey" .Values.config.NATS_NAMESPACE -}}
{{- end -}}

{{/*
The installation-wide environment (the ConfigMap's data). MIGRATE_ON_START is off when the
migration Job applies migrations, so replicas starting together never race for them.
*/}}
{{- define "latchkey.configData" -}}
{{- $data := dict -}}
{{- range $name, $value := .Values.config }}
{{- $_ := set $data $name (toString $value) -}}
{{- end }}
{{- if .Values.migrations.enabled }}
{{- $_ := set $data "MIGRATE_ON_START" "false" -}}
{{- end }}
{{- toYaml $data -}}
{{- end -}}

{{/* The process's command line: the image's working directory is /app. */}}
{{- define "latchkey.command" -}}
- node
- --import
- tsx
{{- end -}}

{{/* The writable directories of a read-only root filesystem: /tmp always, the data directory when enabled. */}}
{{- define "latchkey.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if .Values.data.enabled }}
- name: data
  {{- if .Values.data.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.data.existingClaim }}
  {{- else if .Values.data.persistentVolumeClaim.create }}
  persistentVolumeClaim:
    claimName: {{ include "latchkey.fullname" . }}-data
  {{- else }}
  emptyDir:
    {{- with .Values.data.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "latchkey.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.data.enabled }}
- name: data
  mountPath: {{ .Values.data.mountPath }}
{{- end }}
{{- end -}}

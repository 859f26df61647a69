{{/* The name of every object: the release's, with "qpilot" added when it lacks it. */}}
{{- define "qpilot.fullname" -}}
{{- if contains "qpilot" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-qpilot" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "qpilot.selectorLabels" -}}
app.kubernetes.io/name: qpilot
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "qpilot.labels" -}}
{{ include "qpilot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "qpilot.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The server's pods, apart from an agent's in the same release. */}}
{{- define "qpilot.serverSelectorLabels" -}}
{{ include "qpilot.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

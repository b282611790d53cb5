{{/* Chart name. */}}
{{- define "s3gate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-s3gate, or the release name when it already contains the chart name. */}}
{{- define "s3gate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Selector labels. */}}
{{- define "s3gate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "s3gate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Common labels. */}}
{{- define "s3gate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "s3gate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The Secret holding the S3GATE_* secrets. */}}
{{- define "s3gate.secretName" -}}
{{- if not (or .Values.existingSecret .Values.secret) }}
{{- fail "s3gate needs its credentials: set existingSecret to the name of a Secret with the S3GATE_* keys (S3GATE_ROOT_ACCESS_KEY_ID, S3GATE_ROOT_SECRET_ACCESS_KEY, S3GATE_MASTER_KEY, S3GATE_BACKEND_ACCESS_KEY_ID, S3GATE_BACKEND_SECRET_ACCESS_KEY), or give them in secret" }}
{{- end }}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else }}
{{- include "s3gate.fullname" . }}
{{- end }}
{{- end }}

{{- define "s3gate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "s3gate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ConfigMap's data, also hashed into a pod annotation so that a configuration change rolls the pods. */}}
{{- define "s3gate.configData" -}}
S3GATE_LISTEN: "0.0.0.0:8080"
S3GATE_ADMIN_LISTEN: "0.0.0.0:8081"
{{- if .Values.console.enabled }}
S3GATE_CONSOLE_LISTEN: "0.0.0.0:8082"
{{- end }}
S3GATE_DATA_DIR: /var/lib/s3gate
{{- if .Values.tls.enabled }}
S3GATE_TLS_CERT_FILE: /etc/s3gate/tls/tls.crt
S3GATE_TLS_KEY_FILE: /etc/s3gate/tls/tls.key
{{- end }}
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

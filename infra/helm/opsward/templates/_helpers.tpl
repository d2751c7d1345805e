{{/* Chart name. */}}
{{- define "opsward.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart unless overridden. */}}
{{- define "opsward.fullname" -}}
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

{{- define "opsward.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "opsward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one role: dict "root" $ "role" "api". */}}
{{- define "opsward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opsward.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "opsward.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "opsward.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "opsward.fullname" .)) }}
{{- end }}

{{/* One variable from the Secret; optional keys may be absent. */}}
{{- define "opsward.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "opsward.secretName" .root }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* The environment every role shares. */}}
{{- define "opsward.env" -}}
- name: OPSWARD_DATA_DIR
  value: /data
- name: OPSWARD_LOG_FORMAT
  value: json
- name: OPSWARD_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: OPSWARD_REDIS_PREFIX
  value: {{ .Values.config.redisPrefix | quote }}
- name: OPSWARD_MIGRATE_ON_START
  value: "off"
- name: OPSWARD_JWT_KEYS_FILE
  value: /etc/opsward/keys/jwt-keys.json
{{- with .Values.config.publicUrl }}
- name: OPSWARD_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{ include "opsward.secretEnv" (dict "root" . "name" "OPSWARD_DATABASE_URL" "key" "database-url") }}
{{ include "opsward.secretEnv" (dict "root" . "name" "OPSWARD_REDIS_URL" "key" "redis-url") }}
{{ include "opsward.secretEnv" (dict "root" . "name" "OPSWARD_SEAL_KEYS" "key" "seal-keys") }}
{{ include "opsward.secretEnv" (dict "root" . "name" "OPSWARD_STRIPE_KEY" "key" "stripe-key" "optional" true) }}
{{ include "opsward.secretEnv" (dict "root" . "name" "OPSWARD_STRIPE_WEBHOOK_SECRET" "key" "stripe-webhook-secret" "optional" true) }}
{{- range $name, $value := .Values.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* Pod-level settings every pod shares. */}}
{{- define "opsward.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Writable folders (the root file system is read-only) and the key ring. */}}
{{- define "opsward.volumes" -}}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
- name: keys
  secret:
    secretName: {{ include "opsward.secretName" . }}
    items:
      - key: jwt-keys.json
        path: jwt-keys.json
{{- end }}

{{- define "opsward.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
- name: keys
  mountPath: /etc/opsward/keys
  readOnly: true
{{- end }}

{{/* A listener list: [5514, 6514] -> 0.0.0.0:5514,0.0.0.0:6514 */}}
{{- define "opsward.listen" -}}
{{- $out := list }}
{{- range . }}{{ $out = append $out (printf "0.0.0.0:%v" .) }}{{ end }}
{{- join "," $out }}
{{- end }}

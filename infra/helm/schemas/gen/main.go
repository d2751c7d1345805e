// Command gen writes the JSON schemas that kubeconform checks the Helm
// chart's rendered manifests against, one file per kind the chart uses,
// named as kubeconform looks them up ({kind}-{group}-{version}.json).
//
// The schemas are derived from the Go types of k8s.io/api at the version
// in this module's go.mod, by reflection: every object's fields come from
// their json tags and no other field is allowed (kubeconform -strict's
// meaning), and every value has its JSON type. Required fields and enums
// are not known to the Go types and are not checked.
//
//	go run . DIR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type kind struct {
	apiVersion, kind string
	obj              any
}

var kinds = []kind{
	{"apps/v1", "Deployment", appsv1.Deployment{}},
	{"batch/v1", "Job", batchv1.Job{}},
	{"v1", "Service", corev1.Service{}},
	{"v1", "Secret", corev1.Secret{}},
	{"autoscaling/v2", "HorizontalPodAutoscaler", autoscalingv2.HorizontalPodAutoscaler{}},
	{"policy/v1", "PodDisruptionBudget", policyv1.PodDisruptionBudget{}},
}

// Types whose JSON form is not their Go structure.
var special = map[reflect.Type]map[string]any{
	reflect.TypeFor[resource.Quantity]():    {"type": []string{"string", "number"}},
	reflect.TypeFor[intstr.IntOrString]():   {"type": []string{"string", "integer"}},
	reflect.TypeFor[metav1.Time]():          {"type": []string{"string", "null"}},
	reflect.TypeFor[metav1.MicroTime]():     {"type": []string{"string", "null"}},
	reflect.TypeFor[metav1.Duration]():      {"type": "string"},
	reflect.TypeFor[metav1.FieldsV1]():      {"type": "object"},
	reflect.TypeFor[runtime.RawExtension](): {},
}

type gen struct{ defs map[string]any }

func defName(t reflect.Type) string {
	p := strings.TrimPrefix(t.PkgPath(), "k8s.io/")
	return strings.ReplaceAll(p, "/", ".") + "." + t.Name()
}

func nullable(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok {
		s["type"] = []string{t, "null"}
	}
	return s
}

func (g *gen) schema(t reflect.Type) map[string]any {
	if s, ok := special[t]; ok {
		c := map[string]any{}
		for k, v := range s {
			c[k] = v
		}
		return c
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem())
		if _, ref := inner["$ref"]; ref {
			return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
		}
		return nullable(inner)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": []string{"string", "null"}} // base64
		}
		return map[string]any{"type": []string{"array", "null"}, "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": []string{"object", "null"}, "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := defName(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // placeholder: recursive types
			props := map[string]any{}
			g.fields(t, props)
			g.defs[name] = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		}
		return map[string]any{"$ref": "#/definitions/" + name}
	}
	panic(fmt.Sprintf("gen: no schema for %s", t))
}

func (g *gen) fields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if name == "" && (f.Anonymous || strings.Contains(opts, "inline")) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.fields(ft, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	for _, k := range kinds {
		g := &gen{defs: map[string]any{}}
		top := g.schema(reflect.TypeOf(k.obj))
		def := g.defs[strings.TrimPrefix(top["$ref"].(string), "#/definitions/")].(map[string]any)
		props := def["properties"].(map[string]any)
		props["apiVersion"] = map[string]any{"type": "string", "enum": []string{k.apiVersion}}
		props["kind"] = map[string]any{"type": "string", "enum": []string{k.kind}}
		out := map[string]any{
			"$schema":     "http://json-schema.org/draft-07/schema#",
			"description": fmt.Sprintf("%s %s, generated from the Go types of k8s.io/api by infra/helm/schemas/gen. DO NOT EDIT.", k.apiVersion, k.kind),
			"$ref":        top["$ref"],
			"definitions": g.defs,
		}
		b, err := json.MarshalIndent(out, "", " ")
		if err != nil {
			panic(err)
		}
		group, version, found := strings.Cut(k.apiVersion, "/")
		suffix := "-" + group
		if found {
			suffix = "-" + strings.Split(group, ".")[0] + "-" + version
		}
		file := filepath.Join(dir, strings.ToLower(k.kind)+suffix+".json")
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

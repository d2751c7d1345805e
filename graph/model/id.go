package model

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opsward/opsward"
)

// idsThatClear are the input fields whose description says that an empty
// ID clears what they point at (on update).
var idsThatClear = map[string]bool{"escalationPolicyId": true}

// MarshalID writes an ID as a string.
func MarshalID(s string) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		graphql.MarshalString(s).MarshalGQL(w)
		return nil
	})
}

// UnmarshalID reads an ID. Every ID here is an opaque prefixed string, so
// an empty one is a client's mistake: it is refused with the name of the
// argument or input field that holds it (such as input.assetId), rather
// than being looked up and reported as an object out of reach.
func UnmarshalID(ctx context.Context, v any) (string, error) {
	s, err := graphql.UnmarshalID(v)
	if err != nil {
		return "", opsward.FieldErrorf(inputPath(ctx), "an ID is a string: %v", err)
	}
	if strings.TrimSpace(s) == "" {
		path := inputPath(ctx)
		if idsThatClear[lastName(path)] && s == "" {
			return s, nil
		}
		if path == "" {
			return "", opsward.Errorf(opsward.EINVALID, "an ID is empty")
		}
		return "", opsward.FieldErrorf(path, "%s is empty: it must be an ID", path)
	}
	return s, nil
}

// inputPath is the path of the value being read within the arguments of
// the field that takes it: "id", "input.assetId", "alertIds[0]".
func inputPath(ctx context.Context) string {
	fc := graphql.GetFieldContext(ctx)
	var parts []string
	for pc := graphql.GetPathContext(ctx); pc != nil && pc.ParentField == fc; pc = pc.Parent {
		switch {
		case pc.Index != nil:
			parts = append(parts, "["+strconv.Itoa(*pc.Index)+"]")
		case pc.Field != nil:
			parts = append(parts, "."+*pc.Field)
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return strings.TrimPrefix(b.String(), ".")
}

func lastName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/inflight"
)

// failingExec executes every operation by failing with err, as a resolver
// whose database went away would.
type failingExec struct {
	err error
	log *slog.Logger
}

func (f failingExec) CreateOperationContext(context.Context, *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	return &graphql.OperationContext{}, nil
}

func (f failingExec) DispatchOperation(ctx context.Context, _ *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	return func(ctx context.Context) *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{presentError(ctx, f.log, f.err)}, Data: json.RawMessage("null")}
	}, ctx
}

func (f failingExec) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// A passing failure (a deadline, a lost connection, a serialization
// failure) is answered as unavailable with 503 and Retry-After; an
// unexpected one stays internal.
func TestRetryableErrorsAnswer503(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tr := postTransport{maxBody: 1 << 20, maxDepth: 12, budget: inflight.New(8 << 20), log: log}
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{opsward.Internal(context.DeadlineExceeded), http.StatusServiceUnavailable, opsward.EUNAVAILABLE},
		{errors.Join(errors.New("tx"), sqlState("40001")), http.StatusServiceUnavailable, opsward.EUNAVAILABLE},
		{opsward.Internal(errors.New("nil map")), http.StatusOK, opsward.EINTERNAL},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ serverInfo { version } }"}`))
		tr.Do(rec, req, failingExec{err: tc.err, log: log})
		var out struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code != tc.status || len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, rec.Code, rec.Body, tc.status, tc.code)
			continue
		}
		if tc.code == opsward.EUNAVAILABLE && (rec.Header().Get("Retry-After") == "" || out.Errors[0].Message == "internal error") {
			t.Errorf("%v: Retry-After %q, message %q", tc.err, rec.Header().Get("Retry-After"), out.Errors[0].Message)
		}
	}
}

type sqlState string

func (s sqlState) Error() string    { return "pg " + string(s) }
func (s sqlState) SQLState() string { return string(s) }

func TestBraceDepth(t *testing.T) {
	for q, want := range map[string]int{
		`{ a { b } }`:                   2,
		`query { a(x: "{{{{") { b } }`:  2,
		"{ a # {{{{\n { b } }":          2,
		`{ a(s: """ {{{ """) }`:         1,
		`{ a(i: {x: {y: 1}}) { b } }`:   3,
		strings.Repeat("{a", 100) + "}": 33, // stops past the limit
	} {
		if got := braceDepth(q, 32); got != want {
			t.Errorf("braceDepth(%.40q) = %d, want %d", q, got, want)
		}
	}
}

// FuzzBraceDepth: any document is measured without panicking, never
// deeper than its braces, and a document without strings or comments is
// measured exactly.
func FuzzBraceDepth(f *testing.F) {
	for _, s := range []string{`{ a { b } }`, `{ a(x: "}") }`, "# {\n{a}", `"""{"""`, `"\"{"`, strings.Repeat("{", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := braceDepth(q, 32)
		if got < 0 || got > strings.Count(q, "{") {
			t.Fatalf("depth %d of %q", got, q)
		}
		if !strings.ContainsAny(q, `"#`) {
			d, deepest := 0, 0
			for _, c := range q {
				switch c {
				case '{':
					d++
					deepest = max(deepest, d)
				case '}':
					d--
				}
			}
			if min(deepest, 33) != min(got, 33) {
				t.Fatalf("depth %d of %q, want %d", got, q, deepest)
			}
		}
	})
}

// FuzzJSONProblem: whatever the body, the description of its mistake is
// short (it never repeats the body) and names a position inside it.
func FuzzJSONProblem(f *testing.F) {
	for _, s := range []string{`{"query": "x",}`, `{"query": 1}`, `[[[`, ``, `{"variables": "x"}`, "{\n\"a\" \"b\"}", `{"password":"hunter2"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p graphql.RawParams
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		err := dec.Decode(&p)
		if err == nil {
			return
		}
		msg, off := JSONProblem(raw, err)
		if len(msg) > 300 {
			t.Fatalf("a message of %d bytes: %.100q", len(msg), msg)
		}
		if off < 0 || off > int64(len(raw)) {
			t.Fatalf("offset %d outside a body of %d bytes", off, len(raw))
		}
		line, col := position(raw, off)
		if line < 1 || col < 1 {
			t.Fatalf("position %d:%d", line, col)
		}
	})
}

// GraphQL bodies are held against the in-flight budget: over one caller's
// share is 413 naming it; while the budget is taken, 503 with Retry-After.
func TestPostBodiesUseTheBudget(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	bud := inflight.New(1 << 20) // 256 KiB per caller
	tr := postTransport{maxBody: 10 << 20, maxDepth: 12, budget: bud, log: log}
	do := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		tr.Do(rec, httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)), failingExec{err: errors.New("x"), log: log})
		return rec
	}
	big := `{"query":"{ a }","variables":{"v":"` + strings.Repeat("x", 300<<10) + `"}}`
	if rec := do(big); rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "256 KiB") {
		t.Fatalf("over the share: %d %s", rec.Code, rec.Body)
	}
	// Another request of the same (anonymous) caller holds the share.
	_, release, err := bud.ReadAll(strings.NewReader(strings.Repeat("x", 250<<10)), "", 256<<10, 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(`{"query":"{ a }"}`)
	release()
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"unavailable"`) {
		t.Fatalf("budget taken: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if rec := do(`{"query":"{ a }"}`); rec.Code == http.StatusServiceUnavailable {
		t.Fatalf("after release: %d %s", rec.Code, rec.Body)
	}
}

package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/inflight"
	"github.com/opsward/opsward/tenants"
)

// postTransport is POST /graphql. It replaces gqlgen's transport.POST,
// which answers a malformed body with the whole body in the error (and so
// in the log), a body over the limit with 200 "internal error", and a
// request without a Content-Type with "transport not supported". Here:
//   - a POST without Content-Type is read as JSON; another type is 415
//     naming the one to send;
//   - Content-Encoding gzip is accepted, bounded after decompression by
//     the same limit; another encoding is 415 naming it;
//   - a body over the limit is 413; malformed JSON is 400 naming the line
//     and column of the mistake; none of them echoes or logs the body;
//   - the body's bytes are held against the in-flight budget (503 with
//     Retry-After when it is full);
//   - a query nested deeper than the parser should ever see is refused
//     before parsing, naming the depth;
//   - an answer whose errors are all passing ones (unavailable) is 503
//     with Retry-After when it has no data.
type postTransport struct {
	maxBody  int64
	maxDepth int
	budget   *inflight.Budget
	log      *slog.Logger
}

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Upgrade") == ""
}

// transportError is a refusal before execution.
type transportError struct {
	status int
	code   string
	msg    string
}

func (t postTransport) refuse(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, e transportError, attrs ...slog.Attr) {
	// A client's mistake: worth a line at info for whoever debugs an
	// integration, never the body.
	t.log.LogAttrs(ctx, slog.LevelInfo, "graphql request refused", append([]slog.Attr{
		slog.Int("status", e.status), slog.String("code", e.code), slog.String("reason", e.msg)}, attrs...)...)
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(inflight.RetryAfterSeconds))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	gerr := &gqlerror.Error{Message: e.msg, Extensions: map[string]any{"code": e.code}}
	writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gerr}))
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"internal"}}],"data":null}`)
	}
	_, _ = w.Write(b)
}

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	ct := r.Header.Get("Content-Type")
	attrs := []slog.Attr{slog.String("content_type", clip(ct, 100)), slog.Int64("content_length", r.ContentLength),
		slog.String("content_encoding", clip(r.Header.Get("Content-Encoding"), 40))}
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			t.refuse(ctx, w, exec, transportError{http.StatusUnsupportedMediaType, opsward.EUNSUPPORTED,
				fmt.Sprintf("Content-Type %q is not supported: send the request as Content-Type: application/json", clip(ct, 100))}, attrs...)
			return
		}
	}
	var body io.Reader = r.Body
	hint := r.ContentLength
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			t.refuse(ctx, w, exec, transportError{http.StatusBadRequest, opsward.EINVALID,
				"the body is not gzip although Content-Encoding says gzip"}, attrs...)
			return
		}
		defer gz.Close()
		body, hint = gz, 0
	default:
		t.refuse(ctx, w, exec, transportError{http.StatusUnsupportedMediaType, opsward.EUNSUPPORTED,
			fmt.Sprintf("Content-Encoding %q is not supported: send gzip or no encoding", clip(enc, 40))}, attrs...)
		return
	}
	limit := t.maxBody
	if share := t.budget.PerOwner(); share > 0 {
		limit = min(limit, share) // the budget never lets one caller hold more
	}
	if r.ContentLength > limit {
		t.refuse(ctx, w, exec, tooLarge(limit), attrs...)
		return
	}
	owner := ""
	if a, ok := tenants.FromContext(ctx); ok {
		owner = a.TenantID
	}
	raw, release, err := t.budget.ReadAll(body, owner, limit, hint)
	defer release()
	if err != nil {
		switch opsward.ErrorCode(err) {
		case opsward.ETOOLARGE:
			t.refuse(ctx, w, exec, tooLarge(limit), attrs...)
		case opsward.EUNAVAILABLE:
			t.refuse(ctx, w, exec, transportError{http.StatusServiceUnavailable, opsward.EUNAVAILABLE,
				fmt.Sprintf("the server is busy with other requests: retry in %d s", inflight.RetryAfterSeconds)}, attrs...)
		default:
			t.refuse(ctx, w, exec, transportError{http.StatusBadRequest, opsward.EINVALID,
				"the body could not be read whole: " + readProblem(err)}, attrs...)
		}
		return
	}
	attrs = append(attrs, slog.Int("body_bytes", len(raw)))
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		msg, off := JSONProblem(raw, err)
		t.refuse(ctx, w, exec, transportError{http.StatusBadRequest, opsward.EINVALID, msg}, append(attrs, slog.Int64("offset", off))...)
		return
	}
	if dec.More() {
		off := dec.InputOffset()
		line, col := position(raw, off)
		t.refuse(ctx, w, exec, transportError{http.StatusBadRequest, opsward.EINVALID,
			fmt.Sprintf("the body holds more than one JSON value: the second starts at line %d, column %d", line, col)}, attrs...)
		return
	}
	if depth := braceDepth(params.Query, t.parseDepth()); depth > t.parseDepth() {
		t.refuse(ctx, w, exec, transportError{http.StatusBadRequest, CodeDepthLimit,
			fmt.Sprintf("the query nests more than %d levels of braces; the depth limit is %d: nest fewer levels", t.parseDepth(), t.maxDepth)}, attrs...)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	w.Header().Set("Content-Type", "application/json")
	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr)
		if unavailable(resp) {
			w.Header().Set("Retry-After", strconv.Itoa(inflight.RetryAfterSeconds))
			status = http.StatusServiceUnavailable
		}
		w.WriteHeader(status)
		writeResponse(w, resp)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	resp := responses(ctx)
	if unavailable(resp) {
		w.Header().Set("Retry-After", strconv.Itoa(inflight.RetryAfterSeconds))
		if len(resp.Data) == 0 || string(resp.Data) == "null" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	writeResponse(w, resp)
}

// getTransport is gqlgen's GET transport with the same refusal of deep
// nesting before parsing as POST.
type getTransport struct {
	transport.GET
	maxDepth int
	log      *slog.Logger
}

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	p := postTransport{maxDepth: t.maxDepth, log: t.log}
	if braceDepth(r.URL.Query().Get("query"), p.parseDepth()) > p.parseDepth() {
		p.refuse(r.Context(), w, exec, transportError{http.StatusBadRequest, CodeDepthLimit,
			fmt.Sprintf("the query nests more than %d levels of braces; the depth limit is %d: nest fewer levels", p.parseDepth(), t.maxDepth)})
		return
	}
	t.GET.Do(w, r, exec)
}

// parseDepth is the brace nesting accepted before parsing: generous, since
// input objects nest braces too; the depth limit proper applies after.
func (t postTransport) parseDepth() int { return max(4*t.maxDepth, 32) }

// unavailable reports whether resp carries a passing error.
func unavailable(resp *graphql.Response) bool {
	if resp == nil {
		return false
	}
	for _, e := range resp.Errors {
		if e.Extensions != nil && e.Extensions["code"] == opsward.EUNAVAILABLE {
			return true
		}
	}
	return false
}

func tooLarge(limit int64) transportError {
	return transportError{http.StatusRequestEntityTooLarge, opsward.ETOOLARGE,
		fmt.Sprintf("the body is over the limit of %s (after decompression): send a smaller document or fewer variables", inflight.Size(limit))}
}

// readProblem names a read failure without its details (which may quote
// the peer).
func readProblem(err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ended early"
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return "the gzip stream is corrupt"
	}
	return "the connection failed"
}

// JSONProblem describes a JSON decoding error by its position in raw
// (and the byte offset), never quoting raw: the message is fit for the
// client and for the log.
func JSONProblem(raw []byte, err error) (string, int64) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(raw, syn.Offset)
		what := syn.Error()
		if strings.Contains(what, "exceeded max depth") {
			what = "it nests deeper than 10000 levels"
		}
		return fmt.Sprintf("the body is not valid JSON: %s, at line %d, column %d (byte %d)", what, line, col, syn.Offset), syn.Offset
	case errors.As(err, &typ):
		line, col := position(raw, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return fmt.Sprintf("the body is JSON but %s is a %s where %s is wanted, at line %d, column %d",
			field, typ.Value, jsonKind(typ.Type.Kind().String()), line, col), typ.Offset
	case errors.Is(err, io.EOF):
		return "the body is empty: send a JSON object", 0
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(raw, int64(len(raw)))
		return fmt.Sprintf("the body is not valid JSON: it ends early, at line %d, column %d", line, col), int64(len(raw))
	}
	return "the body is not valid JSON", 0
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	}
	return k
}

// position turns a byte offset into a line and a column (both from 1, the
// column in bytes).
func position(raw []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(raw)))
	before := raw[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col == 0 {
		col = 1
	}
	return line, col
}

// braceDepth returns the deepest nesting of braces in a GraphQL document,
// outside strings and comments, stopping early once it passes stop.
func braceDepth(q string, stop int) int {
	depth, deepest := 0, 0
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case '"':
			if strings.HasPrefix(q[i:], `"""`) {
				end := strings.Index(q[i+3:], `"""`)
				if end < 0 {
					return deepest
				}
				i += 3 + end + 2
				continue
			}
			for i++; i < len(q) && q[i] != '"' && q[i] != '\n'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
		case '{':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > stop {
					return deepest
				}
			}
		case '}':
			depth--
		}
	}
	return deepest
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

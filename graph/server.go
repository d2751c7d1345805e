package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/graph/generated"
	"github.com/opsward/opsward/internal/inflight"
)

// Options configure the GraphQL handler.
type Options struct {
	MaxDepth      int
	MaxCost       int
	Introspection bool
	// OriginPatterns are the origins allowed to open a WebSocket from a
	// browser (the CORS origins); same-origin is always allowed.
	OriginPatterns []string
	// WebsocketInit authenticates a WebSocket from its connection_init
	// payload; nil accepts every connection as anonymous.
	WebsocketInit transport.WebsocketInitFunc
	Metrics       *Metrics
	Logger        *slog.Logger
	// MaxBodyBytes bounds a POST body, after decompression (default
	// 10 MiB); Budget, when set, holds the bodies' bytes in memory
	// against the process's in-flight budget.
	MaxBodyBytes int64
	Budget       *inflight.Budget
}

// Error codes the gateway itself reports in extensions.code, besides the
// domain codes of opsward.Error.
const (
	CodeDepthLimit = "DEPTH_LIMIT_EXCEEDED"
	CodeCostLimit  = "COST_LIMIT_EXCEEDED"
)

// NewHandler returns the /graphql handler: POST (see postTransport), GET (queries only) and
// WebSocket (graphql-transport-ws) transports, a parsed-query cache, depth
// and cost limits, and an error presenter that never shows a cause.
func NewHandler(r *Resolver, o Options) *handler.Server {
	es := costSchema{generated.NewExecutableSchema(generated.Config{Resolvers: r, Directives: Directives()})}
	srv := handler.New(es)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 10 << 20
	}

	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: websocket.AcceptOptions{OriginPatterns: o.OriginPatterns},
		},
		InitFunc:              o.WebsocketInit,
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(getTransport{maxDepth: o.MaxDepth, log: log})
	srv.AddTransport(postTransport{maxBody: o.MaxBodyBytes, maxDepth: o.MaxDepth, budget: o.Budget, log: log})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if o.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(depthLimit{max: o.MaxDepth})
	srv.Use(&costLimit{max: o.MaxCost, cache: newLimitCache()})
	if o.Metrics != nil {
		srv.AroundOperations(o.Metrics.aroundOperation)
	}

	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		return presentError(ctx, log, err)
	})
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p))
		return opsward.Internal(fmt.Errorf("panic: %v", p))
	})
	return srv
}

// presentError turns a resolver error into what the client sees: the
// domain code in extensions.code and the user-facing message. Internal
// errors are logged with their cause and shown as "internal error".
func presentError(ctx context.Context, log *slog.Logger, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	var ge *gqlerror.Error
	if errors.As(err, &ge) && ge.Extensions != nil && ge.Extensions["code"] != nil {
		// Already coded by the gateway (validation, limits, parsing).
		return gerr
	}
	if errors.As(err, &ge) && ge.Err == nil && len(ge.Path) == 0 {
		// Raised by a transport about the request itself (variables that
		// do not decode, a bad WebSocket message): the client's mistake.
		// Its text may quote what the client sent, so it is clipped for
		// the client and left out of the log.
		log.InfoContext(ctx, "graphql request refused", "reason_bytes", len(ge.Message))
		return &gqlerror.Error{Message: clip(ge.Message, 200), Locations: ge.Locations,
			Extensions: map[string]any{"code": opsward.EINVALID}}
	}
	if arg, typ, ge, ok := undecodedArgument(ctx, err); ok {
		// An argument the resolver never saw because it did not decode
		// (a cursor, a time): the client's mistake, named by the argument.
		log.InfoContext(ctx, "graphql argument refused", "argument", arg, "path", gerr.Path.String())
		msg := fmt.Sprintf("%s is not a valid %s: %s", arg, typ, clip(ge.Err.Error(), 200))
		if typ == "Cursor" {
			msg = fmt.Sprintf("%s is not a cursor this API gave: start again without it", arg)
		}
		return &gqlerror.Error{Message: msg, Path: gerr.Path, Locations: gerr.Locations,
			Extensions: map[string]any{"code": opsward.EINVALID, "field": arg}}
	}
	code, msg := opsward.Public(err)
	switch code {
	case opsward.EINTERNAL:
		log.ErrorContext(ctx, "graphql internal error", "err", err, "path", gerr.Path.String())
	case opsward.EUNAVAILABLE:
		log.WarnContext(ctx, "graphql request failed for a passing cause", "err", err, "path", gerr.Path.String())
	}
	gerr.Message = msg
	if gerr.Extensions == nil {
		gerr.Extensions = map[string]any{}
	}
	gerr.Extensions["code"] = code
	if f := opsward.ErrorField(err); f != "" {
		gerr.Extensions["field"] = f
	}
	return gerr
}

// undecodedArgument reports whether err is gqlgen's refusal of an
// argument of the field being resolved whose value did not decode (the
// Cursor scalar's, for one, is a plain error), and names the argument and
// its type (the path below it for a field of an input object). Errors of this codebase's own are left to their codes.
func undecodedArgument(ctx context.Context, err error) (arg, typ string, ge *gqlerror.Error, ok bool) {
	var own *opsward.Error
	if !errors.As(err, &ge) || ge.Err == nil || errors.As(err, &own) || !graphql.HasOperationContext(ctx) {
		return "", "", nil, false
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return "", "", nil, false
	}
	fp := fc.Path()
	if len(ge.Path) <= len(fp) || ge.Path[:len(fp)].String() != fp.String() {
		return "", "", nil, false
	}
	name, isName := ge.Path[len(fp)].(ast.PathName)
	if !isName {
		return "", "", nil, false
	}
	def := fc.Field.Definition.Arguments.ForName(string(name))
	if def == nil {
		return "", "", nil, false
	}
	// Within an input object, the path to the field that did not decode.
	return strings.TrimPrefix(ge.Path[len(fp):].String(), "."), def.Type.Name(), ge, true
}

// costSchema prices connection fields by the page asked for: a field with
// a first or last argument costs that many times its children. Other fields
// cost one plus their children. A connection with no page size is priced
// at the largest page, 100.
type costSchema struct{ graphql.ExecutableSchema }

// MaxPage is the largest page a connection returns.
const MaxPage = 100

func (c costSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	def := c.Schema().Types[typeName]
	if def != nil {
		if fd := def.Fields.ForName(field); fd != nil && fd.Arguments.ForName("first") != nil {
			n := MaxPage
			for _, a := range []string{"first", "last"} {
				if v, ok := pageArg(args[a]); ok && v >= 0 && v < n {
					n = v
				}
			}
			if n == 0 {
				n = 1
			}
			return 1 + child*n, true
		}
	}
	return 1 + child, true
}

// pageArg reads a page size as gqlgen passes it (int64 from a literal or
// a variable, int from Go callers).
func pageArg(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case *int:
		if v != nil {
			return *v, true
		}
	}
	return 0, false
}

// costLimit refuses an operation whose cost is over the limit and reports
// the cost of every accepted one in extensions.cost.
type costLimit struct {
	max   int
	es    graphql.ExecutableSchema
	cache *limitCache
}

// limitCache remembers the cost of operations by their text. It is
// bounded: when full it starts again empty.
type limitCache struct {
	mu sync.RWMutex
	m  map[string]int
}

const limitCacheSize = 4096

func newLimitCache() *limitCache { return &limitCache{m: map[string]int{}} }

func (l *limitCache) get(key string) (int, bool) {
	if key == "" {
		return 0, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	v, ok := l.m[key]
	return v, ok
}

func (l *limitCache) put(key string, v int) {
	if key == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= limitCacheSize {
		l.m = map[string]int{}
	}
	l.m[key] = v
}

func (c *costLimit) ExtensionName() string { return "CostLimit" }

func (c *costLimit) Validate(es graphql.ExecutableSchema) error {
	if c.max <= 0 {
		return errors.New("cost limit must be positive")
	}
	c.es = es
	return nil
}

func (c *costLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	// An operation without variables always costs the same: its cost is
	// remembered by its text.
	key := ""
	if len(oc.Variables) == 0 {
		key = oc.OperationName + "\x00" + oc.RawQuery
	}
	cost, ok := c.cache.get(key)
	if !ok {
		op := oc.Doc.Operations.ForName(oc.OperationName)
		cost = complexity.Calculate(ctx, c.es, op, oc.Variables)
		c.cache.put(key, cost)
	}
	if cost > c.max {
		err := gqlerror.Errorf("query cost %d is over the limit of %d: ask for smaller pages (first/last) or fewer fields", cost, c.max)
		err.Extensions = map[string]any{"code": CodeCostLimit, "cost": cost, "maxCost": c.max}
		return err
	}
	oc.Stats.SetExtension("cost", cost)
	return nil
}

// InterceptResponse reports the operation's cost in extensions.cost, as
// GitHub's and Shopify's APIs do, so clients can budget.
func (c *costLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	if cost := graphql.GetOperationContext(ctx).Stats.GetExtension("cost"); cost != nil {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["cost"] = cost
	}
	return resp
}

// depthLimit refuses an operation nested deeper than max selections.
// Fragments are followed; introspection counts like any other query.
type depthLimit struct{ max int }

func (depthLimit) ExtensionName() string { return "DepthLimit" }

func (d depthLimit) Validate(graphql.ExecutableSchema) error {
	if d.max <= 0 {
		return errors.New("depth limit must be positive")
	}
	return nil
}

func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	if depth := selectionDepth(op.SelectionSet, 0, d.max+1); depth > d.max {
		err := gqlerror.Errorf("query depth is over the limit of %d: nest fewer levels", d.max)
		err.Extensions = map[string]any{"code": CodeDepthLimit, "maxDepth": d.max}
		return err
	}
	return nil
}

// selectionDepth returns the depth of set, stopping once it passes stop so
// that cyclic or enormous documents cost little to measure.
func selectionDepth(set ast.SelectionSet, depth, stop int) int {
	if depth >= stop {
		return depth
	}
	deepest := depth
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = depth + 1
			} else {
				d = selectionDepth(s.SelectionSet, depth+1, stop)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth, stop)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, depth, stop)
			}
		}
		if d > deepest {
			deepest = d
		}
		if deepest >= stop {
			return deepest
		}
	}
	return deepest
}

// Metrics are the GraphQL gateway's Prometheus metrics.
type Metrics struct {
	operations *prometheus.CounterVec
	duration   *prometheus.HistogramVec
}

// NewMetrics registers the gateway's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsward_graphql_operations_total",
			Help: "GraphQL operations by type and outcome. Operation names are chosen by clients, so they are not a label.",
		}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "opsward_graphql_operation_duration_seconds",
			Help:    "Time to execute a GraphQL operation, by type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"type"}),
	}
	reg.MustRegister(m.operations, m.duration)
	return m
}

func (m *Metrics) aroundOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	typ := "unknown"
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
	}
	start := time.Now()
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if typ != string(ast.Subscription) {
			outcome := "ok"
			if resp == nil || len(resp.Errors) > 0 {
				outcome = "error"
			}
			m.operations.WithLabelValues(typ, outcome).Inc()
			m.duration.WithLabelValues(typ).Observe(time.Since(start).Seconds())
		}
		return resp
	}
}

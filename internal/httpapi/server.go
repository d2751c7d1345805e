package httpapi

import (
	"context"
	"github.com/opsward/opsward/services/noc/agents"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/inflight"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// Tenants is what the edge needs of identity: checking credentials and
// the REST sessions.
type Tenants interface {
	Authenticate(ctx context.Context, authorization, tenantID string, r tenants.Request) (*tenants.Actor, error)
	Login(ctx context.Context, in tenants.LoginInput) (*tenants.Tokens, error)
	Refresh(ctx context.Context, token, tenantID string, r tenants.Request) (*tenants.Tokens, error)
	Logout(ctx context.Context, refreshToken string, r tenants.Request) error
	KeyRing() *authn.KeyRing
}

// NOC is what the edge needs of the NOC: heartbeats, the uptime export and
// public status pages.
type NOC interface {
	Heartbeat(ctx context.Context, rawToken string) error
	UptimeCSV(ctx context.Context, assetID string, from, to time.Time) ([]byte, error)
	PublicPage(ctx context.Context, slug string) (*monitoring.PublicStatusPage, error)
}

// Ingester stores a batch of security events.
type Ingester interface {
	IngestBatchOnce(ctx context.Context, tenantID, sourceID, key string, body []byte) (*detect.IngestResult, error)
}

// Lists serves the External Dynamic Lists.
type Lists interface {
	ServeEDL(w http.ResponseWriter, r *http.Request, param string)
}

// Payments is invoice collection: whether Stripe collects, and its
// verified webhook events.
type Payments interface {
	Stripe() bool
	HandleEvent(ctx context.Context, ev billing.StripeEvent) (bool, error)
}

// Check is one thing /readyz asks: nil from Check means ready.
type Check struct {
	Name  string
	Check func(context.Context) error
}

// Deps is everything the edge needs. API and Ingest say which routes it
// serves; the fields a role does not use may be nil.
type Deps struct {
	Config   platform.Config
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Budget bounds the request bodies held in memory at once (nil: off).
	Budget *inflight.Budget
	// Ready are the checks of /readyz, in the order they run.
	Ready []Check

	// API adds authentication, GraphQL, heartbeats, exports, the lists,
	// the Stripe webhook and the portal; Ingest adds HTTP ingest.
	API, Ingest bool

	Tenants  Tenants
	GraphQL  http.Handler // the gateway, mounted at /graphql behind authentication
	NOC      NOC
	Events   Ingester
	Lists    Lists
	Payments Payments
	// Agents serves the remote probe agents' endpoints (nil: none).
	Agents *agents.Service
	Portal fs.FS // the portal's built files, with index.html at the root
}

// Server is the HTTP edge: an http.Handler with every route of its roles.
type Server struct {
	Deps
	e *echo.Echo
}

// New builds the edge for deps, with the routes of its roles.
func New(deps Deps) (*Server, error) {
	s := &Server{Deps: deps}
	s.e = s.newEcho()
	if s.API {
		s.mountAuth()
		s.mountGraphQL()
		s.mountNOC()
		s.mountAgents()
		s.mountLists()
		s.mountStripe()
	}
	if s.Ingest {
		s.mountIngest()
	}
	if s.API {
		// Last: the portal's catch-all serves what no route above does.
		if err := s.mountPortal(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Echo is the router, for adding routes beside the edge's.
func (s *Server) Echo() *echo.Echo { return s.e }

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// mountGraphQL adds the GraphQL gateway and the explorer.
func (s *Server) mountGraphQL() {
	h := s.authenticate(echo.WrapHandler(s.GraphQL))
	s.e.GET("/graphql", func(c echo.Context) error {
		// A browser asking for a page, not a query: the portal's explorer,
		// from the binary's own files, signed in with the portal's session.
		if s.Config.Introspection() && c.QueryParam("query") == "" && !isWebsocket(c.Request()) {
			return c.Redirect(http.StatusFound, "/explorer")
		}
		return h(c)
	})
	s.e.POST("/graphql", h)
	s.e.OPTIONS("/graphql", h)
}

// mountLists adds the External Dynamic Lists: the list's token is the
// credential, so no other authentication applies.
func (s *Server) mountLists() {
	edl := func(c echo.Context) error {
		s.Lists.ServeEDL(c.Response(), c.Request(), c.Param("list"))
		return nil
	}
	s.e.GET("/edl/:list", edl)
	s.e.HEAD("/edl/:list", edl)
}

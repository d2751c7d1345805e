package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/agents"
)

// mountProbeAgents adds the remote agents' endpoints: the exchange of an
// enrolment token for a credential, the pull of due checks and the push of
// their results. An agent's credential opens these and nothing else: it is
// not a user's token nor an API key, and authenticate never accepts it.
func (s *Server) mountAgents() {
	e, svc := s.e, s.Agents
	if svc == nil {
		return
	}
	protocol := func(c echo.Context) int {
		p, _ := strconv.Atoi(c.Request().Header.Get(agents.HeaderProtocol))
		return p
	}
	agent := func(c echo.Context) (*agents.Agent, error) {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		cred, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "an agent sends its credential as a bearer token")
		}
		a, err := svc.Authenticate(c.Request().Context(), cred, c.Request().Header.Get(agents.HeaderVersion), protocol(c))
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	e.POST(agents.PathEnrol, func(c echo.Context) error {
		var req agents.EnrolRequest
		if err := readAgentJSON(c, &req); err != nil {
			return err
		}
		en, err := svc.Exchange(c.Request().Context(), req.Token, req.Protocol)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, en)
	})
	e.POST(agents.PathJobs, func(c echo.Context) error {
		a, err := agent(c)
		if err != nil {
			return err
		}
		var req struct {
			Max int `json:"max"`
		}
		if err := readAgentJSON(c, &req); err != nil {
			return err
		}
		jobs, err := svc.Pull(a, req.Max)
		if err != nil {
			return err
		}
		if jobs == nil {
			jobs = []agents.Job{}
		}
		return c.JSON(http.StatusOK, agents.JobsResponse{Jobs: jobs, PollSeconds: int(svc.Config.PollInterval.Seconds())})
	})
	e.POST(agents.PathResults, func(c echo.Context) error {
		a, err := agent(c)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, agents.MaxBatchBytes+1))
		if err != nil {
			return err
		}
		batch, err := agents.ParseBatch(body)
		if err != nil {
			return err
		}
		out, err := svc.Push(a, batch)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
}

// readAgentJSON decodes a small JSON body; an empty body is the zero value.
func readAgentJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return opsward.Errorf(opsward.EINVALID, "the body is not valid JSON: %v", err)
	}
	return nil
}

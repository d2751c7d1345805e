package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward/tenants"
)

// TestCrossTenantIsolation is the cross-tenant suite. It walks the live
// schema and, for every query field, mutation and Node type, has the users
// and API keys of one customer (acme) read, list, change and delete the
// objects of another (globex) by id, by filter and through nested edges.
// A leak is any of globex's IDs or secrets in a response's data, or any
// change to globex's rows. Nothing here names a field: a field added to
// the schema later is attacked without editing this test.
//
// Run it on the embedded default (SQLite) and with
// OPSWARD_TEST_MODE=external (Postgres with row-level security).
func TestCrossTenantIsolation(t *testing.T) {
	cfg := testConfig(t)
	cfg.GraphQLIntrospection = "on"
	// The platform's upkeep runs at start, and the snapshot waits for it
	// (waitPlatformJobs); its next round would write globex's rows during
	// the attacks (the race detector makes them last over five minutes).
	cfg.PlatformJobsEvery = 24 * time.Hour
	ctx := context.Background()

	// The demonstration data goes into an empty database, as `opsward seed
	// demo` does it: before the server's bootstrap creates a provider.
	tool := NewMain(cfg, Roles{}, io.Discard, testLogWriter{t})
	if err := tool.Open(ctx); err != nil {
		t.Fatal(err)
	}
	demo, err := tool.seedDemo(ctx)
	if err == nil {
		// Billing: price book, accounts, usage and invoices of every
		// customer, closed here so that the server's close job finds
		// nothing due.
		ids := []string{}
		for _, c := range demo.Customers {
			ids = append(ids, c.ID)
		}
		err = seedBilling(ctx, tool, demo.Provider.ID, ids...)
		if err == nil {
			err = seedCompliance(ctx, tool, ids...)
		}
		if err == nil {
			err = seedStatusPages(ctx, tool, ids...)
		}
		if err == nil {
			err = seedSavedViews(ctx, tool, ids...)
		}
		if err == nil {
			err = seedProbeAgents(ctx, tool, ids...)
		}
	}
	if cerr := tool.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	m := startMain(t, cfg)
	base := m.URL()
	var acme, globex tenants.DemoTenant
	for _, c := range demo.Customers {
		switch c.Slug {
		case "acme":
			acme = c
		case "globex":
			globex = c
		}
	}
	if acme.ID == "" || globex.ID == "" {
		t.Fatalf("demo customers: %+v", demo.Customers)
	}
	cred := func(dt tenants.DemoTenant, role string) tenants.DemoCredential {
		for _, u := range dt.Users {
			if string(u.Role) == role {
				return u
			}
		}
		t.Fatalf("%s has no %s", dt.Slug, role)
		return tenants.DemoCredential{}
	}
	aAdmin, aViewer, bAdmin := cred(acme, "admin"), cred(acme, "viewer"), cred(globex, "admin")

	// Every login happens now: the attack below sends wrong passwords for
	// these addresses, which throttles them.
	owner := demo.Provider.Users[0]
	ownerTok := isoLogin(t, base, owner.Email, owner.Password)
	aAdminTok := isoLogin(t, base, aAdmin.Email, aAdmin.Password)
	aViewerTok := isoLogin(t, base, aViewer.Email, aViewer.Password)
	aSpareTok := isoLogin(t, base, aAdmin.Email, aAdmin.Password) // its refresh token is tried against globex
	bAdminTok := isoLogin(t, base, bAdmin.Email, bAdmin.Password)
	ownerActor := isoActor{Name: "provider owner", Auth: "Bearer " + ownerTok.AccessToken}
	bActor := isoActor{Name: "globex admin", Auth: "Bearer " + bAdminTok.AccessToken}
	aAdminActor := isoActor{Name: "acme admin", Auth: "Bearer " + aAdminTok.AccessToken}

	// Globex gets a realistic set of objects, made through the API as its
	// admin: organizations below it (one suspended), a member who accepted
	// an invitation and whose role changed, a pending invitation, more API
	// keys (one revoked), and the audit entries all of that writes.
	victimSecrets := []isoMarker{
		{bAdminTok.AccessToken, "globex access token"}, {bAdminTok.RefreshToken, "globex refresh token"},
		{globex.APIKey.Secret, "globex API key"},
	}
	mk := func(a isoActor, q string, vars map[string]any) map[string]any { return isoMust(t, base, a, q, vars) }
	get := func(d map[string]any, path ...string) string {
		var v any = d
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		s, _ := v.(string)
		return s
	}
	const createTenant = `mutation($in: CreateTenantInput!) { createTenant(input: $in) { tenant { id } userErrors { message } } }`
	east := get(mk(bActor, createTenant, map[string]any{"in": map[string]any{
		"parentId": globex.ID, "slug": "globex-east", "name": "Globex East", "contactEmail": "east@globex.example"}}), "createTenant", "tenant", "id")
	west := get(mk(bActor, createTenant, map[string]any{"in": map[string]any{
		"parentId": globex.ID, "slug": "globex-west", "name": "Globex West"}}), "createTenant", "tenant", "id")
	mk(bActor, `mutation($id: ID!) { suspendTenant(id: $id) { tenant { id } userErrors { message } } }`, map[string]any{"id": west})
	const invite = `mutation($in: InviteUserInput!) { inviteUser(input: $in) { invitation { id } token userErrors { message } } }`
	inv := mk(bActor, invite, map[string]any{"in": map[string]any{"tenantId": globex.ID, "email": "new.analyst@globex.example", "role": "analyst"}})
	accepted := mk(isoActor{Name: "invitee"}, `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"token": get(inv, "inviteUser", "token"), "name": "New Analyst", "password": "Globex-Analyst-Passphrase-7"}})
	mk(bActor, `mutation($id: ID!) { updateMembership(id: $id, role: viewer) { membership { id } userErrors { message } } }`,
		map[string]any{"id": get(accepted, "acceptInvitation", "membership", "id")})
	pending := mk(bActor, invite, map[string]any{"in": map[string]any{"tenantId": east, "email": "pending@globex.example", "role": "viewer"}})
	pendingToken := get(pending, "inviteUser", "token")
	victimSecrets = append(victimSecrets, isoMarker{pendingToken, "globex invitation token"})
	const createKey = `mutation($in: CreateAPIKeyInput!) { createAPIKey(input: $in) { apiKey { id prefix } secret userErrors { message } } }`
	for i, in := range []map[string]any{
		{"tenantId": globex.ID, "name": "second integration", "scopes": []string{"noc:read", "soc:read"}},
		{"tenantId": east, "name": "east admin", "scopes": []string{"admin"}, "expiresAt": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)},
		{"tenantId": globex.ID, "name": "retired", "scopes": []string{"billing:read"}},
	} {
		k := mk(bActor, createKey, map[string]any{"in": in})
		victimSecrets = append(victimSecrets,
			isoMarker{get(k, "createAPIKey", "secret"), "globex API key"},
			isoMarker{get(k, "createAPIKey", "apiKey", "prefix"), "globex API key prefix"})
		if i == 2 {
			mk(bActor, `mutation($id: ID!) { revokeAPIKey(id: $id) { apiKey { id } userErrors { message } } }`,
				map[string]any{"id": get(k, "createAPIKey", "apiKey", "id")})
		}
	}
	// Acme's admin makes an admin-scoped key, so that a key of acme with
	// every permission is among the attackers.
	aKey := mk(aAdminActor, createKey, map[string]any{"in": map[string]any{"tenantId": acme.ID, "name": "acme admin key", "scopes": []string{"admin"}}})
	aAdminKey := get(aKey, "createAPIKey", "secret")

	// MSP staff give acme an owner, who holds every permission of a
	// customer (closing, billing), so that no mutation is refused for want
	// of a role before it reaches globex's objects.
	const acceptQ = `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { id } userErrors { message } } }`
	aOwnerInv := mk(ownerActor, invite, map[string]any{"in": map[string]any{"tenantId": acme.ID, "email": "owner@acme.example", "role": "owner"}})
	mk(isoActor{Name: "invitee"}, acceptQ, map[string]any{"in": map[string]any{
		"token": get(aOwnerInv, "inviteUser", "token"), "name": "Acme Owner", "password": "Acme-Owner-Passphrase-3"}})
	aOwnerTok := isoLogin(t, base, "owner@acme.example", "Acme-Owner-Passphrase-3")

	// What belongs to each side, read through the privileged path.
	bTenants, err := tenantSubtree(ctx, m, globex.ID)
	if err != nil {
		t.Fatal(err)
	}
	aTenants, err := tenantSubtree(ctx, m, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The platform's own start-up jobs write rows of globex too (last
	// month's compliance reports and their test runs, usage samples): let
	// them finish before the snapshot, so that only attackers could change
	// anything after it.
	waitPlatformJobs(t, m, globex.ID)
	before, err := readOwnedRows(ctx, m, bTenants)
	if err != nil {
		t.Fatal(err)
	}
	aRows, err := readOwnedRows(ctx, m, aTenants)
	if err != nil {
		t.Fatal(err)
	}
	bIDs, aIDs := before.ids(), aRows.ids()
	if len(bTenants) != 3 || len(bIDs) < 20 {
		t.Fatalf("globex holds %d tenants and %d ids: %v", len(bTenants), len(bIDs), bIDs)
	}

	// The kind of each of globex's IDs, from node(id:) as MSP staff, who
	// reach globex: IDs that are not nodes (sessions, refresh tokens) are
	// kept by their prefix.
	kindOf := map[string]string{}
	for i := 0; i < len(bIDs); i += 100 {
		chunk := bIDs[i:min(i+100, len(bIDs))]
		d := mk(ownerActor, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": chunk})
		for _, n := range d["nodes"].([]any) {
			if n, ok := n.(map[string]any); ok {
				kindOf[n["id"].(string)] = n["__typename"].(string)
			}
		}
	}
	victim := map[string][]string{}
	for _, id := range bIDs {
		k, ok := kindOf[id]
		if !ok {
			k = "prefix:" + strings.SplitN(id, "_", 2)[0]
		}
		victim[k] = append(victim[k], id)
	}

	// Markers: every ID and secret of globex, its users' addresses, its
	// tenants' slugs and names.
	var markers []isoMarker
	for _, id := range bIDs {
		markers = append(markers, isoMarker{id, "globex id"})
	}
	for _, rows := range []string{"users", "tenants", "invitations"} {
		for _, row := range before[rows] {
			for _, col := range []string{"email", "slug", "name", "contact_email"} {
				if v := column(row, col); len(v) >= 6 {
					markers = append(markers, isoMarker{v, "globex " + rows + "." + col})
				}
			}
		}
	}
	markers = append(markers, victimSecrets...)
	var aMarkers []isoMarker
	for _, id := range aIDs {
		aMarkers = append(aMarkers, isoMarker{id, "acme id"})
	}

	// The live schema.
	intro := mk(ownerActor, isoIntrospection, nil)
	var schema struct {
		Schema isoSchema `json:"__schema"`
	}
	if err := remarshal(intro, &schema); err != nil {
		t.Fatal(err)
	}
	s := &schema.Schema
	s.index()
	if s.QueryType == nil || s.MutationType == nil {
		t.Fatal("introspection shows no query or mutation type")
	}
	nodeTypes := s.nodeTypes()
	for _, nt := range nodeTypes {
		if nt != "User" && len(victim[nt]) == 0 {
			t.Logf("globex holds no %s: node(id:) is not tried on that type", nt)
		}
	}

	gen := &isoGen{
		s: s, victim: victim, maxLevel: cfg.GraphQLMaxDepth, maxHops: 3, maxCost: cfg.GraphQLMaxCost,
		hints: map[string][]any{
			"email":        {bAdmin.Email, aAdmin.Email},
			"contactemail": {bAdmin.Email},
			"password":     {"Wrong-Passphrase-4821", aAdmin.Password},
			"refreshtoken": {corrupt(bAdminTok.RefreshToken), aSpareTok.RefreshToken},
			"token":        {corrupt(pendingToken)},
			"scopes":       {"admin"},
			"scope":        {"admin"},
			"list":         {"alerts"},
			"timezone":     {"UTC"},
			"totpcode":     {"123456"},
			"slug":         {"globex-north"},
		},
		isVictimValue: func(s string) bool {
			for _, mm := range markers {
				if strings.Contains(s, mm.Value) {
					return true
				}
			}
			return strings.Contains(s, corrupt(bAdminTok.RefreshToken)) || strings.Contains(s, corrupt(pendingToken))
		},
	}
	gen.refs = map[string][]any{}
	for _, f := range gen.refFields(s.QueryType.Name) {
		d := mk(isoActor{Name: "acme owner", Auth: "Bearer " + aOwnerTok.AccessToken}, "query { "+f+" { id } }", nil)
		for _, o := range d[f].([]any) {
			gen.refs[strings.TrimSuffix(strings.ToLower(f), "s")] = append(gen.refs[strings.TrimSuffix(strings.ToLower(f), "s")], o.(map[string]any)["id"])
		}
	}
	queries := gen.ops(s.QueryType.Name, false)
	mutations := gen.ops(s.MutationType.Name, true)

	attackers := []isoActor{
		{Name: "acme owner", Auth: "Bearer " + aOwnerTok.AccessToken},
		aAdminActor,
		{Name: "acme viewer", Auth: "Bearer " + aViewerTok.AccessToken},
		{Name: "acme API key", Auth: "Bearer " + acme.APIKey.Secret},
		{Name: "acme admin API key", Auth: "Bearer " + aAdminKey},
		{Name: "anonymous"},
		{Name: "acme admin acting as globex", Auth: "Bearer " + aAdminTok.AccessToken, Tenant: globex.ID},
		{Name: "acme admin API key acting as globex", Auth: "Bearer " + aAdminKey, Tenant: globex.ID},
		{Name: "acme viewer acting as globex-east", Auth: "Bearer " + aViewerTok.AccessToken, Tenant: east},
	}

	run := newIsoRun(base, markers, aMarkers)
	started := time.Now()
	run.all(attackers, queries)
	run.all(attackers, mutations)
	elapsed := time.Since(started)

	// Nothing of globex's may have changed, and its audit chains hold.
	after, err := readOwnedRows(ctx, m, bTenants)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffRows(before, after, func(table, row string) bool {
		// A wrong password for a globex address is audited in globex's log;
		// the hourly gauge samples are the platform's own (an hour may
		// turn during the attacks).
		return strings.Contains(row, "action=auth.login_failed;") || table == "usage_events" && gaugeSample(row)
	}) {
		run.leak("state", "any attacker", "globex changed: "+d)
	}
	pctx := tenants.Privileged(ctx, "cross-tenant test: audit check")
	for _, id := range bTenants {
		problems, checked, err := m.Tenants.VerifyAudit(pctx, id)
		if err != nil || len(problems) > 0 {
			run.leak("state", "any attacker", fmt.Sprintf("audit chain of %s (%d entries): %v %v", id, checked, problems, err))
		}
	}

	fmt.Printf("cross-tenant: attempts=%d leaks=%d\n", run.attempts, len(run.leaks))
	t.Logf("%d queries and %d mutations generated from %d query fields, %d mutation fields and %d node types; %d attackers; %s",
		len(queries), len(mutations), len(s.typ(s.QueryType.Name).Fields), len(s.typ(s.MutationType.Name).Fields), len(nodeTypes), len(attackers), elapsed.Round(time.Millisecond))
	run.report(t)
	for _, l := range run.leaks {
		t.Errorf("leak: %s", l)
	}
	for _, p := range run.problems() {
		t.Errorf("generator: %s", p)
	}
	if run.attempts < 300 {
		t.Errorf("only %d attempts: the generator covers too little", run.attempts)
	}
	// Each attacker must have been let in somewhere and seen acme's own
	// data: an attacker refused everywhere would prove nothing.
	for _, a := range attackers {
		if a.Tenant == "" && a.Auth != "" && run.ownHits[a.Name] == 0 {
			t.Errorf("%s never saw any of acme's own objects: its attempts prove nothing", a.Name)
		}
	}

	// The walker must be able to see a leak: the same queries sent by
	// globex's own admin find globex's objects of every kind.
	self := newIsoRun(base, markers, nil)
	self.all([]isoActor{bActor}, queries)
	seen := map[string]bool{}
	for _, l := range self.leaks {
		for id, k := range kindOf {
			if strings.Contains(l, id) {
				seen[k] = true
			}
		}
	}
	for _, nt := range nodeTypes {
		if len(victim[nt]) > 0 && !seen[nt] {
			t.Errorf("self-check: globex's admin never saw a %s of globex: the walker could miss a leak", nt)
		}
	}
	if len(self.leaks) == 0 {
		t.Error("self-check: globex's admin saw nothing of globex")
	}
	t.Logf("self-check: globex's admin saw globex's objects in %d responses, kinds %v", len(self.leaks), keys(seen))
}

// isoRun sends operations as actors and keeps the score.
type isoRun struct {
	base              string
	markers, aMarkers []isoMarker

	mu       sync.Mutex
	attempts int
	leaks    []string
	ownHits  map[string]int
	outcomes map[string]map[string]int // field → outcome → count
	genErrs  map[string]string
}

func newIsoRun(base string, markers, aMarkers []isoMarker) *isoRun {
	return &isoRun{base: base, markers: markers, aMarkers: aMarkers, ownHits: map[string]int{},
		outcomes: map[string]map[string]int{}, genErrs: map[string]string{}}
}

func (r *isoRun) leak(field, actor, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leaks = append(r.leaks, fmt.Sprintf("%s as %s: %s", field, actor, what))
}

// all sends every operation as every actor, a few at a time.
func (r *isoRun) all(actors []isoActor, ops []isoOp) {
	type job struct {
		a  isoActor
		op isoOp
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for j := range jobs {
				r.one(j.a, j.op)
			}
		})
	}
	for _, op := range ops {
		for _, a := range actors {
			jobs <- job{a, op}
		}
	}
	close(jobs)
	wg.Wait()
}

func (r *isoRun) one(a isoActor, op isoOp) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := isoPost(ctx, r.base, a, op.Doc, op.Vars)
	r.mu.Lock()
	r.attempts++
	r.mu.Unlock()
	if err != nil {
		r.leak(op.Field, a.Name, "no answer: "+err.Error())
		return
	}
	for _, e := range res.Errors {
		switch e.code() {
		case "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "COST_LIMIT_EXCEEDED", "DEPTH_LIMIT_EXCEEDED", "BAD_USER_INPUT":
			r.mu.Lock()
			r.genErrs[op.Field] = e.code() + ": " + e.Message
			r.mu.Unlock()
		}
	}
	outcome := "ok"
	switch {
	case res.Status != http.StatusOK:
		outcome = fmt.Sprintf("http %d", res.Status)
	case len(res.Errors) > 0:
		outcome = res.Errors[0].code()
	default:
		if ue := userErrorsOf(res.Data); ue != "" {
			outcome = "userErrors " + ue
		}
	}
	r.mu.Lock()
	if r.outcomes[op.Field] == nil {
		r.outcomes[op.Field] = map[string]int{}
	}
	r.outcomes[op.Field][a.Name+": "+outcome]++
	r.mu.Unlock()

	for _, l := range scanLeaks(res.Data, r.markers, op.sent) {
		r.leak(op.Field, a.Name, fmt.Sprintf("%s in the response to %s", l, op.sent))
	}
	if a.Tenant != "" && res.Status == http.StatusOK && hasValue(res.Data) {
		r.leak(op.Field, a.Name, "the acting-tenant header "+a.Tenant+" was accepted: "+clipText(res.Raw, 300))
	}
	if len(r.aMarkers) > 0 && len(scanLeaks(res.Data, r.aMarkers, "")) > 0 {
		r.mu.Lock()
		r.ownHits[a.Name]++
		r.mu.Unlock()
	}
}

func (r *isoRun) problems() []string {
	var out []string
	for f, e := range r.genErrs {
		out = append(out, f+": "+e)
	}
	sort.Strings(out)
	return out
}

// report logs, per field, how the attempts ended.
func (r *isoRun) report(t *testing.T) {
	for _, f := range keys(r.outcomes) {
		var parts []string
		for _, o := range keys(r.outcomes[f]) {
			parts = append(parts, fmt.Sprintf("%s ×%d", o, r.outcomes[f][o]))
		}
		t.Logf("%s: %s", f, strings.Join(parts, "; "))
	}
}

// hasValue reports whether data holds any non-null root field.
func hasValue(data any) bool {
	d, ok := data.(map[string]any)
	if !ok {
		return false
	}
	for _, v := range d {
		if v != nil {
			return true
		}
	}
	return false
}

// userErrorsOf returns the codes of a payload's userErrors, if any.
func userErrorsOf(data any) string {
	d, _ := data.(map[string]any)
	for _, v := range d {
		p, _ := v.(map[string]any)
		ue, _ := p["userErrors"].([]any)
		var codes []string
		for _, e := range ue {
			if e, ok := e.(map[string]any); ok {
				codes = append(codes, fmt.Sprint(e["code"]))
			}
		}
		if len(codes) > 0 {
			return strings.Join(codes, ",")
		}
	}
	return ""
}

// column reads one value out of a row rendered by readOwnedRows.
func column(row, col string) string {
	for _, kv := range strings.Split(row, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == col {
			return v
		}
	}
	return ""
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

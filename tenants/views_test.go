package tenants_test

import (
	"strings"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
)

func TestSavedViews(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		s := w.svc
		in := tenants.SavedViewInput{Scope: "alerts", Name: " Critical new ", Filters: map[string]string{"status": "new", "severity": "critical"}}
		v, err := s.CreateSavedView(w.ctxA, in)
		if err != nil {
			t.Fatal(err)
		}
		if v.Name != "Critical new" || v.TenantID != w.a.ID || v.UserID != w.aAdmin.id || v.Filters["severity"] != "critical" || v.Filters["status"] != "new" {
			t.Fatalf("saved view %+v", v)
		}
		if _, err := s.CreateSavedView(w.ctxA, tenants.SavedViewInput{Scope: "alerts", Name: "All open", Filters: map[string]string{"status": "open", "severity": ""}}); err != nil {
			t.Fatal(err)
		}
		list, err := s.SavedViews(w.ctxA, "alerts")
		if err != nil || len(list) != 2 || list[0].Name != "All open" || list[1].Name != "Critical new" {
			t.Fatalf("views by name: %v, %v", list, err)
		}
		if _, ok := list[0].Filters["severity"]; ok {
			t.Fatalf("an empty filter was kept: %v", list[0].Filters)
		}

		// Bad input names its field; nothing is written.
		for _, c := range []struct {
			what  string
			in    tenants.SavedViewInput
			code  string
			field string
		}{
			{"same name", in, opsward.ECONFLICT, "name"},
			{"no name", tenants.SavedViewInput{Scope: "alerts", Name: "  "}, opsward.EINVALID, "name"},
			{"unknown list", tenants.SavedViewInput{Scope: "monitors", Name: "x"}, opsward.EINVALID, "list"},
			{"unknown filter", tenants.SavedViewInput{Scope: "alerts", Name: "x", Filters: map[string]string{"owner": "me"}}, opsward.EINVALID, "filters"},
			{"bad value", tenants.SavedViewInput{Scope: "alerts", Name: "x", Filters: map[string]string{"severity": "urgent"}}, opsward.EINVALID, "filters"},
		} {
			_, err := s.CreateSavedView(w.ctxA, c.in)
			wantCode(t, c.what, err, c.code)
			if f := opsward.ErrorField(err); f != c.field {
				t.Errorf("%s: error names %q, want %q", c.what, f, c.field)
			}
		}
		if list, _ := s.SavedViews(w.ctxA, "alerts"); len(list) != 2 {
			t.Fatalf("refused views were written: %d views", len(list))
		}

		// Another user of the tenant, another customer and an API key see
		// none of them and delete none.
		if other, err := s.SavedViews(w.ctxAViewer, "alerts"); err != nil || len(other) != 0 {
			t.Fatalf("the viewer lists the admin's views: %v, %v", other, err)
		}
		_, err = s.DeleteSavedView(w.ctxAViewer, v.ID)
		wantHidden(t, "viewer deletes the admin's view", err)
		_, err = s.DeleteSavedView(w.ctxB, v.ID)
		wantHidden(t, "B deletes A's view", err)
		if other, err := s.SavedViews(w.ctxB, "alerts"); err != nil || len(other) != 0 {
			t.Fatalf("B lists A's views: %v, %v", other, err)
		}
		key, err := s.CreateAPIKey(w.ctxA, w.a.ID, "soc reader", []string{"soc:read"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SavedViews(w.keyCtx(t, key), "alerts")
		wantCode(t, "an API key lists views", err, opsward.EFORBIDDEN)
		if !strings.Contains(opsward.ErrorMessage(err), "signed-in user") {
			t.Fatalf("an API key is refused for another reason: %v", err)
		}

		// The same name is free for another user.
		if _, err := s.CreateSavedView(w.ctxAViewer, in); err != nil {
			t.Fatalf("the viewer saves a view of the same name: %v", err)
		}
		if _, err := s.DeleteSavedView(w.ctxA, v.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.DeleteSavedView(w.ctxA, v.ID)
		wantHidden(t, "delete twice", err)
		if list, _ := s.SavedViews(w.ctxA, "alerts"); len(list) != 1 || list[0].Name != "All open" {
			t.Fatalf("after delete: %v", list)
		}
		if list, _ := s.SavedViews(w.ctxAViewer, "alerts"); len(list) != 1 {
			t.Fatalf("deleting the admin's view touched the viewer's: %v", list)
		}
	})
}

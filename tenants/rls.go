package tenants

import (
	"context"

	"github.com/opsward/opsward/ent/privacy"
	"github.com/opsward/opsward/tenants/scope"
)

const sessionStmt = "SELECT set_config('app.tenant_path', $1, false), " +
	"set_config('app.user_id', $2, false), set_config('app.privileged', $3, false)"

// SessionSettings gives Postgres row-level security the actor of each
// statement: the acting tenant's path, the user and whether the work is
// the privileged path. A context with no actor sets empty values, which
// every policy denies. It is a platform.SessionFunc.
func SessionSettings(ctx context.Context) (key, stmt string, args []any) {
	path, user, priv := "", "", "off"
	if a, ok := scope.FromContext(ctx); ok {
		if a.IsPrivileged() {
			priv = "on"
		}
		path, user = a.TenantPath, a.UserID()
	}
	return priv + "|" + path + "|" + user, sessionStmt, []any{path, user, priv}
}

func errPrivacyDeny() error { return privacy.Deny }

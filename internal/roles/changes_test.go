//go:build integration

package roles_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/roles"
)

// Every request reports its IAM writes in Changes, which the log line
// carries: a Create its role and policy, a Delete the policies and role it deleted, a
// request that wrote nothing none.
func TestEveryRequestReportsItsWrites(t *testing.T) {
	e := newEnv(t)
	props := map[string]any{"RoleName": "qb-changes"}
	steps := []struct {
		name    string
		ev      cfn.Event
		outcome roles.Outcome
		changes []string
		writes  []string
	}{
		{"Create", request(t, cfn.RequestCreate, "R", "", props, nil), roles.Created,
			[]string{"role", "permissions policy"}, []string{"CreateRole", "PutRolePolicy"}},
		{"Update with the same properties", request(t, cfn.RequestUpdate, "R", "qb-changes", props, props), roles.Unchanged, nil, nil},
		{"Delete", request(t, cfn.RequestDelete, "R", "qb-changes", props, nil), roles.Deleted,
			[]string{"inline policy QBusinessApplicationPolicy (deleted)", "role (deleted)"}, []string{"DeleteRolePolicy", "DeleteRole"}},
		{"Delete again", request(t, cfn.RequestDelete, "R", "qb-changes", props, nil), roles.Deleted, nil, nil},
		{"Create of the service-linked role", request(t, cfn.RequestCreate, "S", "", slrProps, nil), roles.Created,
			[]string{"service-linked role"}, []string{"CreateServiceLinkedRole"}},
		{"Create adopting it", request(t, cfn.RequestCreate, "A", "", slrProps, nil), roles.Adopted, nil, nil},
	}
	for _, s := range steps {
		res := e.mustHandle(s.ev)
		if res.Outcome != s.outcome || !slices.Equal(res.Changes, s.changes) {
			t.Errorf("%s: outcome %s, changes %q; want %s, %q", s.name, res.Outcome, res.Changes, s.outcome, s.changes)
		}
		if w := e.rec.Writes(); !slices.Equal(w, s.writes) {
			t.Errorf("%s: IAM writes %v, want %v", s.name, w, s.writes)
		}
	}
}

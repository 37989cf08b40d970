//go:build integration

package roles_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/roles"
)

// SubscriptionPermissions switches the application role between the page as
// qbrole first followed it (Include, the default) and the page as it is now
// (Exclude), in place: the inline policy is put again, and a default
// Description follows; a role that already matches is not written, and a
// role made before the property existed (no SubscriptionPermissions) sees
// no change.
func TestSubscriptionPermissionsSwitchInPlace(t *testing.T) {
	e := newEnv(t)
	before := map[string]any{"RoleName": "qb-subscriptions"}
	exclude := map[string]any{"RoleName": "qb-subscriptions", "SubscriptionPermissions": "Exclude"}
	include := map[string]any{"RoleName": "qb-subscriptions", "SubscriptionPermissions": "Include"}
	steps := []struct {
		name      string
		ev        cfn.Event
		props     map[string]any
		outcome   roles.Outcome
		writes    []string
		statement bool // the subscription statement in the inline policy
	}{
		{"Create as before the property", request(t, cfn.RequestCreate, "R", "", before, nil), before, roles.Created,
			[]string{"CreateRole", "PutRolePolicy"}, true},
		{"Update to Include, the default: nothing to do", request(t, cfn.RequestUpdate, "R", "qb-subscriptions", include, before), include,
			roles.Unchanged, nil, true},
		{"Update to Exclude", request(t, cfn.RequestUpdate, "R", "qb-subscriptions", exclude, include), exclude, roles.Updated,
			[]string{"UpdateRole", "PutRolePolicy"}, false},
		{"Update with Exclude again", request(t, cfn.RequestUpdate, "R", "qb-subscriptions", exclude, exclude), exclude,
			roles.Unchanged, nil, false},
		{"Update back to Include", request(t, cfn.RequestUpdate, "R", "qb-subscriptions", include, exclude), include, roles.Updated,
			[]string{"UpdateRole", "PutRolePolicy"}, true},
	}
	for _, s := range steps {
		res := e.mustHandle(s.ev)
		if res.Outcome != s.outcome {
			t.Errorf("%s: outcome %s, want %s", s.name, res.Outcome, s.outcome)
		}
		if w := e.rec.Writes(); !slices.Equal(w, s.writes) {
			t.Errorf("%s: IAM writes %v, want %v", s.name, w, s.writes)
		}
		e.requireMatchesSpec("qb-subscriptions", s.props, "R")
		if got := e.inline("qb-subscriptions", roles.DefaultPolicyName); containsSid(got, "QBusinessUserSubscriptionPermissions") != s.statement {
			t.Errorf("%s: inline policy %s; want the subscription statement: %v", s.name, got, s.statement)
		}
	}
}

// containsSid reports whether the policy document doc, as IAM answers it
// (URL-encoded JSON), has a statement sid.
func containsSid(doc, sid string) bool {
	if decoded, err := url.QueryUnescape(doc); err == nil {
		doc = decoded
	}
	var d struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return false
	}
	return slices.ContainsFunc(d.Statement, func(s struct{ Sid string }) bool { return s.Sid == sid })
}

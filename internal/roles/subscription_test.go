//go:build integration

package roles_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
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

// The IAM policy evaluator judges both permissions policies (it refuses a
// malformed policy; TestEveryRenderedDocumentIsValid checks actions and
// condition keys): each grants
// what its page grants, and only Include the user-subscription actions.
func TestSubscriptionPermissionsJudgedByTheEvaluator(t *testing.T) {
	const app = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	stack, err := roles.ParseStackID(loadEvent(t, "create-application-role.json", nil).StackID)
	if err != nil {
		t.Fatal(err)
	}
	arn := func(kind, rest string) string {
		return "arn:" + stack.Partition + ":" + kind + ":" + stack.Region + ":" + stack.AccountID + ":" + rest
	}
	checks := []struct {
		action, resource string
		context          map[string]any
		subscription     bool // granted only by the subscription statement
	}{
		// Not cloudwatch:PutMetricData: it has no resource type, and the
		// evaluator answers a request on "*" in another shape (wildcard results).
		{"logs:CreateLogGroup", arn("logs", "log-group:/aws/qbusiness/app"), nil, false},
		{"logs:PutLogEvents", arn("logs", "log-group:/aws/qbusiness/app:log-stream:s"), nil, false},
		{"qbusiness:CreateSubscription", arn("qbusiness", "application/"+app+"/subscription/s-1"), nil, true},
		{"qbusiness:ListSubscriptions", arn("qbusiness", "application/"+app), nil, true},
	}
	for _, sub := range []string{"Include", "Exclude"} {
		spec, err := roles.ParseSpec(map[string]any{"SubscriptionPermissions": sub}, stack, "R")
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(spec.PermissionsPolicy().JSON()), &doc); err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			got, err := authz.Evaluator.Evaluate(iamauthz.Check{Principal: "arn:" + stack.Partition + ":iam::" + stack.AccountID + ":role/service-role/r",
				Action: c.action, Resource: c.resource, Account: stack.AccountID, Context: c.context},
				[]iamauthz.Policy{{Name: "QBusinessApplicationPolicy", Document: doc}})
			want := "Allowed"
			if c.subscription && sub == "Exclude" {
				want = "ImplicitlyDenied"
			}
			if err != nil || got != want {
				t.Errorf("%s: %s on %s: %s, %v; want %s", sub, c.action, c.resource, got, err, want)
			}
		}
	}
}

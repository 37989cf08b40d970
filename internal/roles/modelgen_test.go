// The lifecycle model's generators (model_test.go runs the model against moto,
// under the integration tag); they and their own test need only Go.

package roles_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/qbrole/qbrole/internal/roles"
)

// The model's own parts: the property generator yields what ParseSpec
// accepts, bar the invalid draws.
func TestModelPropertiesParse(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := propsGen(rt, "p")
		_, err := roles.ParseSpec(p, mustStack(rt, "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid"), "R")
		if (err != nil) != (p["MaxSessionDuration"] == "99") {
			rt.Fatalf("%v: %v", p, err)
		}
	})
}

// Role names the stacks and people use; letter case varies.
var modelNames = []string{"qb-role-a", "QB-Role-A", "qb-role-b", "qb-role-c"}

const modelApplicationID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"

// propsGen draws a resource's properties: mostly valid application roles,
// some service-linked roles, a few invalid ones.
func propsGen(rt *rapid.T, label string) map[string]any {
	p := map[string]any{}
	opt := func(key string, values ...any) {
		if v := rapid.SampledFrom(append([]any{nil}, values...)).Draw(rt, label+"."+key); v != nil {
			p[key] = v
		}
	}
	opt("ServiceTimeout", "3", "30")
	opt("OnDelete", "Delete", "Retain")
	if rapid.IntRange(0, 9).Draw(rt, label+".serviceLinked") == 0 {
		p["RoleType"] = "ServiceLinkedRole"
		opt("Description", "service-linked role, described")
		return p
	}
	opt("RoleName", rapid.SampledFrom(modelNames).Draw(rt, label+".RoleName"))
	opt("Path", "/service-role/", "/p1/", "/p2/")
	opt("Description", "described")
	opt("MaxSessionDuration", "7200")
	opt("ApplicationId", modelApplicationID)
	opt("Tags", []any{map[string]any{"Key": "team", "Value": "x"}}, []any{map[string]any{"Key": "Team", "Value": "y"}})
	if rapid.IntRange(0, 14).Draw(rt, label+".invalid") == 0 {
		p["MaxSessionDuration"] = "99"
	}
	return p
}

func mustStack(rt *rapid.T, id string) roles.Stack {
	st, err := roles.ParseStackID(id)
	if err != nil {
		rt.Fatal(err)
	}
	return st
}

package main

import (
	"reflect"
	"testing"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
)

// The answer carries the role's attributes as Data under the names
// Fn::GetAtt reads, and none when the request names no role; the tests and
// the bench answer as the function does.
func TestAnswer(t *testing.T) {
	role := roles.Result{PhysicalResourceID: "r", Arn: "arn:aws:iam::123456789012:role/r", RoleName: "r", RoleID: "AROAEXAMPLE",
		Outcome: roles.Updated, Changes: []string{"tags"}}
	cases := []struct {
		name string
		res  roles.Result
		want cfnresource.Result
	}{
		{"a role", role, cfnresource.Result{PhysicalResourceID: "r", Outcome: "updated", Changes: []string{"tags"},
			Data: map[string]any{"Arn": "arn:aws:iam::123456789012:role/r", "RoleName": "r", "RoleId": "AROAEXAMPLE"}}},
		{"a Delete", roles.Result{PhysicalResourceID: "r", Outcome: roles.Deleted}, cfnresource.Result{PhysicalResourceID: "r", Outcome: "deleted"}},
		{"a failure that named nothing", roles.Result{Changes: []string{"trust"}}, cfnresource.Result{Changes: []string{"trust"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := answer(c.res); !reflect.DeepEqual(got, c.want) {
				t.Errorf("answer = %+v, want %+v", got, c.want)
			}
			if got := rolestest.Result(c.res); !reflect.DeepEqual(got, c.want) {
				t.Errorf("rolestest.Result = %+v, want the function's %+v", got, c.want)
			}
		})
	}
}

// The function's Runner, and the tests' and the bench's, answer a Create
// that failed before anything existed with roles' marker, which a Delete
// reads as naming nothing.
func TestRunnerNamesAFailedCreateAsRolesReadsIt(t *testing.T) {
	for name, r := range map[string]*cfnresource.Runner{"newRunner": newRunner(nil, nil, nil), "rolestest.Runner": rolestest.Runner(nil, nil, nil)} {
		if r.FailedCreateID == nil {
			t.Fatalf("%s: no FailedCreateID", name)
		}
		if id := roles.ParsePhysicalID(r.FailedCreateID("req-1")); id.Kind != roles.IDFailedCreate {
			t.Errorf("%s: %q reads as %+v, want a failed Create", name, r.FailedCreateID("req-1"), id)
		}
	}
}

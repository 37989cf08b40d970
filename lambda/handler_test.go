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

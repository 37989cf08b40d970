package resource

import (
	"reflect"
	"testing"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/roles"
)

// The answer carries the role's attributes as Data under the names
// Fn::GetAtt reads, and none when the request names no role; the tests and
// the bench answer as the function does, through this package.
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
			if got := Answer(c.res); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Answer = %+v, want %+v", got, c.want)
			}
		})
	}
}

// The Runner answers a Create that failed before anything existed with
// roles' marker, which a Delete reads as naming nothing.
func TestRunnerNamesAFailedCreateAsRolesReadsIt(t *testing.T) {
	r := NewRunner(nil, nil, nil)
	if r.FailedCreateID == nil {
		t.Fatal("no FailedCreateID")
	}
	if id := roles.ParsePhysicalID(r.FailedCreateID("req-1")); id.Kind != roles.IDFailedCreate {
		t.Errorf("%q reads as %+v, want a failed Create", r.FailedCreateID("req-1"), id)
	}
}

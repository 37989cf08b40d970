//go:build integration

package roles_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/qbrole/qbrole/internal/roles"
)

// A service-linked role that B adopted is A's (or Q Business's): B's Create
// and Updates never change it, answer SUCCESS with no Reason and the outcome
// adopted, and note a Description that they did not apply.
func TestAdoptedServiceLinkedRoleDescriptionIsNotedNotApplied(t *testing.T) {
	e := newEnv(t)
	// A's own words, so that qbrole's default Description differs from the role's.
	a := e.mustHandle(request(t, cfn.RequestCreate, "A", "", map[string]any{"RoleType": "ServiceLinkedRole", "Description": "A's words"}, nil))
	if a.Outcome != roles.Created {
		t.Fatalf("A's Create: %+v", a)
	}
	theirs := aws.ToString(e.role(a.PhysicalResourceID).Description)
	ours := map[string]any{"RoleType": "ServiceLinkedRole", "Description": "B's words"}
	same := map[string]any{"RoleType": "ServiceLinkedRole", "Description": theirs}
	cases := []struct {
		name     string
		ev       func(adopted string) cfn.Event
		wantNote bool
	}{
		{"B's Create with another Description", func(string) cfn.Event { return request(t, cfn.RequestCreate, "B", "", ours, nil) }, true},
		{"B's Update with another Description", func(id string) cfn.Event { return request(t, cfn.RequestUpdate, "B", id, ours, slrProps) }, true},
		{"B's Update with the role's Description", func(id string) cfn.Event { return request(t, cfn.RequestUpdate, "B", id, same, ours) }, false},
		{"B's Update with no Description (the default not asked for)", func(id string) cfn.Event {
			return request(t, cfn.RequestUpdate, "B", id, slrProps, same)
		}, false},
	}
	adopted := ""
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, res := e.answer(c.ev(adopted))
			if resp.Status != cfn.StatusSuccess || resp.Reason != "" || res.Outcome != roles.Adopted ||
				roles.ParsePhysicalID(resp.PhysicalResourceID).Kind != roles.IDAdopted {
				t.Fatalf("response %+v, result %+v; want SUCCESS, adopted, no Reason", resp, res)
			}
			adopted = resp.PhysicalResourceID
			noted := strings.Contains(res.Note, `Description "B's words" not applied`) && strings.Contains(res.Note, "adopted, not this resource's")
			if noted != c.wantNote || !c.wantNote && res.Note != "" {
				t.Errorf("note %q, want one: %v", res.Note, c.wantNote)
			}
			if w := e.rec.Writes(); len(w) > 0 {
				t.Errorf("IAM writes %v for an adopted role", w)
			}
			if got := aws.ToString(e.role(a.PhysicalResourceID).Description); got != theirs {
				t.Errorf("Description %q, want %q left as it was", got, theirs)
			}
		})
	}
}

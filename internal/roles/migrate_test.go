//go:build integration

package roles_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/roles"
)

// A resource renamed in the template (Role → RoleShared, the only way to move
// it to another ServiceToken): the new logical id's Create, then the old one's
// cleanup Delete. With a fixed RoleName the Create meets the role the same
// stack's Role still owns: it fails naming Role, changes nothing, and its
// rollback's Delete deletes nothing.
func TestMigrationToANewLogicalID(t *testing.T) {
	t.Run("generated name: a new role, the old one deleted", func(t *testing.T) {
		e := newEnv(t)
		old := e.mustHandle(request(t, cfn.RequestCreate, "Role", "", map[string]any{}, nil))
		shared := e.mustHandle(request(t, cfn.RequestCreate, "RoleShared", "", map[string]any{}, nil))
		if shared.Outcome != roles.Created || shared.PhysicalResourceID == old.PhysicalResourceID {
			t.Fatalf("RoleShared's Create: %+v", shared)
		}
		e.requireMatchesSpec(shared.PhysicalResourceID, map[string]any{}, "RoleShared")
		if del := e.mustHandle(request(t, cfn.RequestDelete, "Role", old.PhysicalResourceID, map[string]any{}, nil)); del.Outcome != roles.Deleted {
			t.Errorf("Role's cleanup Delete: %+v", del)
		}
		if e.exists(old.PhysicalResourceID) || !e.exists(shared.PhysicalResourceID) {
			t.Errorf("old role exists %v, new role exists %v; want only the new one", e.exists(old.PhysicalResourceID), e.exists(shared.PhysicalResourceID))
		}
	})
	t.Run("fixed RoleName: refused naming the old logical id, nothing changed", func(t *testing.T) {
		e := newEnv(t)
		props := map[string]any{"RoleName": "qb-role"}
		e.mustHandle(request(t, cfn.RequestCreate, "Role", "", props, nil))
		before := e.snapshot("qb-role")
		resp, _ := e.answer(request(t, cfn.RequestCreate, "RoleShared", "", props, nil))
		if resp.Status != cfn.StatusFailed || strings.Contains(resp.Reason, "not managed by this stack") ||
			!strings.Contains(resp.Reason, "it belongs to Role, another resource of this same stack, not to RoleShared") {
			t.Fatalf("RoleShared's Create: %+v", resp)
		}
		if w := e.rec.Writes(); !slices.Equal(w, []string{"CreateRole"}) {
			t.Errorf("writes = %v, want only the refused CreateRole", w)
		}
		if roles.ParsePhysicalID(resp.PhysicalResourceID).Kind != roles.IDFailedCreate {
			t.Errorf("physical id %q: the rollback's Delete must not name Role's role", resp.PhysicalResourceID)
		}
		rollback := e.mustHandle(request(t, cfn.RequestDelete, "RoleShared", resp.PhysicalResourceID, props, nil))
		if rollback.Outcome != roles.Skipped || len(e.rec.Writes()) > 0 {
			t.Errorf("rollback Delete: %+v, writes %v", rollback, e.rec.Writes())
		}
		if e.snapshot("qb-role") != before {
			t.Error("Role's role changed")
		}
	})
}

//go:build integration

package roles_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
)

// Regression tests for the four faults of issue 17, each one sample of a kind
// the model-based lifecycle test (model_test.go) generates.

// request is an event of the demo stack's resource logical, with props and,
// for an Update, the old ones.
func request(t *testing.T, rt cfn.RequestType, logical, physical string, props, old map[string]any) cfn.Event {
	t.Helper()
	return loadEvent(t, "create-application-role.json", func(ev *cfn.Event) {
		ev.RequestType, ev.LogicalResourceID, ev.PhysicalResourceID = rt, logical, physical
		ev.RequestID = logical + "-" + string(rt) + "-" + time.Now().Format("150405.000000000")
		ev.ResourceProperties, ev.OldResourceProperties = props, old
	})
}

var slrProps = map[string]any{"RoleType": "ServiceLinkedRole"}

// Stack A's resource creates the service-linked role, stack B's adopts it,
// stack A's deletion deletes it: B's next Update, and the rollback Update
// after a failed one, adopt or create it again instead of failing (which
// would leave B in UPDATE_ROLLBACK_FAILED). The same for a role the resource
// owns that someone deleted.
func TestServiceLinkedRoleThatVanishedIsCreatedOrAdoptedAgain(t *testing.T) {
	t.Run("adopted, then deleted by its owner", func(t *testing.T) {
		e := newEnv(t)
		a := e.mustHandle(request(t, cfn.RequestCreate, "A", "", slrProps, nil))
		b := e.mustHandle(request(t, cfn.RequestCreate, "B", "", slrProps, nil))
		if a.Outcome != roles.Created || b.Outcome != roles.Adopted {
			t.Fatalf("A %s, B %s", a.Outcome, b.Outcome)
		}
		if res := e.mustHandle(request(t, cfn.RequestDelete, "A", a.PhysicalResourceID, slrProps, nil)); res.Outcome != roles.Deleted {
			t.Fatalf("A's Delete: %+v", res)
		}
		withDesc := map[string]any{"RoleType": "ServiceLinkedRole", "Description": "changed"}
		res, err := e.handle(request(t, cfn.RequestUpdate, "B", b.PhysicalResourceID, withDesc, slrProps))
		if err != nil || res.Outcome != roles.Created || res.PhysicalResourceID != a.PhysicalResourceID {
			t.Fatalf("B's Update after the role vanished: %+v, %v", res, err)
		}
		if !e.exists(a.PhysicalResourceID) {
			t.Error("no service-linked role after B's Update")
		}
		// B now owns the role it created: its Delete removes it.
		if res := e.mustHandle(request(t, cfn.RequestDelete, "B", res.PhysicalResourceID, withDesc, nil)); res.Outcome != roles.Deleted || e.exists(a.PhysicalResourceID) {
			t.Errorf("B's Delete: %+v", res)
		}
	})
	t.Run("adopted, then deleted: the rollback Update", func(t *testing.T) {
		e := newEnv(t)
		a := e.mustHandle(request(t, cfn.RequestCreate, "A", "", slrProps, nil))
		b := e.mustHandle(request(t, cfn.RequestCreate, "B", "", slrProps, nil))
		e.mustHandle(request(t, cfn.RequestDelete, "A", a.PhysicalResourceID, slrProps, nil))
		bad := map[string]any{"RoleType": "ServiceLinkedRole", "Description": strings.Repeat("x", 1001)}
		if _, err := e.handle(request(t, cfn.RequestUpdate, "B", b.PhysicalResourceID, bad, slrProps)); err == nil {
			t.Fatal("an invalid Description was accepted")
		}
		res, err := e.handle(request(t, cfn.RequestUpdate, "B", b.PhysicalResourceID, slrProps, bad))
		if err != nil || !e.exists(a.PhysicalResourceID) {
			t.Fatalf("rollback Update: %+v, %v", res, err)
		}
	})
	t.Run("owned, deleted by hand", func(t *testing.T) {
		e := newEnv(t)
		a := e.mustHandle(request(t, cfn.RequestCreate, "A", "", slrProps, nil))
		e.deleteServiceLinkedRoleByHand(a.PhysicalResourceID)
		res, err := e.handle(request(t, cfn.RequestUpdate, "A", a.PhysicalResourceID, slrProps, slrProps))
		if err != nil || res.Outcome != roles.Created || !e.exists(a.PhysicalResourceID) {
			t.Fatalf("Update: %+v, %v", res, err)
		}
	})
}

func (e *env) deleteServiceLinkedRoleByHand(name string) {
	e.t.Helper()
	if err := rolestest.DeleteServiceLinkedRoleByHand(context.Background(), e.iam, name); err != nil {
		e.t.Fatal(err)
	}
}

// A role found under the desired name at another path fails before any
// write, with the reason an Update that keeps RoleName and changes Path gets;
// never "unchanged" with the role left where it was. A RoleName that differs
// only in letter case names the same role (IAM does not distinguish them).
func TestRoleFoundAtAnotherPathIsNotReportedDone(t *testing.T) {
	a1 := map[string]any{"RoleName": "qb-role-a", "Path": "/p1/", "OnDelete": "Retain"}
	b := map[string]any{"RoleName": "qb-role-b", "Path": "/p1/"}
	for _, c := range []struct {
		name  string
		props map[string]any
		env   func(*testing.T) *env
	}{
		{"back to the retained role's name", map[string]any{"RoleName": "qb-role-a", "Path": "/p2/"}, newEnv},
		// moto would create QB-Role-A beside qb-role-a; IAM, and the strict layer, do not.
		{"back to the retained role's name in other letters", map[string]any{"RoleName": "QB-Role-A", "Path": "/p2/"}, newStrictEnv},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := c.env(t)
			e.mustHandle(request(t, cfn.RequestCreate, "R", "", a1, nil))
			if res := e.mustHandle(request(t, cfn.RequestUpdate, "R", "qb-role-a", b, a1)); res.PhysicalResourceID != "qb-role-b" {
				t.Fatalf("replacement: %+v", res)
			}
			if res := e.mustHandle(request(t, cfn.RequestDelete, "R", "qb-role-a", a1, nil)); res.Outcome != roles.Retained {
				t.Fatalf("cleanup Delete: %+v", res)
			}
			before := e.snapshot("qb-role-a")
			resp, res := e.answer(request(t, cfn.RequestUpdate, "R", "qb-role-b", c.props, b))
			if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, "changing Path") || resp.PhysicalResourceID != "qb-role-b" || len(res.Changes) > 0 {
				t.Fatalf("Update to a role at another path: %+v, changes %v", resp, res.Changes)
			}
			if after := e.snapshot("qb-role-a"); after != before {
				t.Errorf("the retained role changed:\n%s\n%s", before, after)
			}
			// The rollback Update brings qb-role-b back as it was.
			e.mustHandle(request(t, cfn.RequestUpdate, "R", "qb-role-b", b, c.props))
			e.requireMatchesSpec("qb-role-b", b, "R")
		})
	}
	t.Run("in place, a RoleName in other letters and a new Path", func(t *testing.T) {
		e := newEnv(t)
		old := map[string]any{"RoleName": "qb-role-a", "Path": "/p1/"}
		e.mustHandle(request(t, cfn.RequestCreate, "R", "", old, nil))
		before := e.snapshot("qb-role-a")
		resp, _ := e.answer(request(t, cfn.RequestUpdate, "R", "qb-role-a", map[string]any{"RoleName": "QB-Role-A", "Path": "/p2/"}, old))
		if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, "changing Path") || resp.PhysicalResourceID != "qb-role-a" {
			t.Fatalf("response %+v", resp)
		}
		if e.snapshot("qb-role-a") != before || len(e.rec.Writes()) > 0 {
			t.Errorf("IAM changed (writes %v)", e.rec.Writes())
		}
	})
	t.Run("in place, a RoleName in other letters, same Path: the same role", func(t *testing.T) {
		e := newEnv(t)
		old := map[string]any{"RoleName": "qb-role-a", "Path": "/p1/"}
		e.mustHandle(request(t, cfn.RequestCreate, "R", "", old, nil))
		props := map[string]any{"RoleName": "QB-Role-A", "Path": "/p1/"}
		res, err := e.handle(request(t, cfn.RequestUpdate, "R", "qb-role-a", props, old))
		if err != nil || res.PhysicalResourceID != "qb-role-a" || res.Outcome != roles.Unchanged {
			t.Fatalf("result %+v, %v", res, err)
		}
	})
}

// A Delete of a role that is not there answers after one read, whatever the
// propagation timeout: the role deleted by hand, a second delivery of the
// same Delete, an id CloudFormation made up.
func TestDeleteOfARoleThatIsGoneIsQuick(t *testing.T) {
	e := newEnv(t)
	e.m.PropagationTimeout = 2 * time.Minute
	props := map[string]any{"RoleName": "qb-role-a"}
	e.mustHandle(request(t, cfn.RequestCreate, "R", "", props, nil))
	e.deleteRoleByHand("qb-role-a")
	del := request(t, cfn.RequestDelete, "R", "qb-role-a", props, nil)
	for _, what := range []string{"deleted by hand", "second delivery"} {
		start := time.Now()
		res, err := e.handle(del)
		if err != nil || res.Outcome != roles.Deleted {
			t.Errorf("%s: %+v, %v", what, res, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: %v", what, took)
		}
		if got := e.rec.Actions(); len(got) != 1 || got[0] != "GetRole" {
			t.Errorf("%s: calls %v, want one GetRole", what, got)
		}
	}
}

func (e *env) deleteRoleByHand(name string) {
	e.t.Helper()
	if err := rolestest.DeleteByHand(context.Background(), e.iam, name); err != nil {
		e.t.Fatal(err)
	}
}

// After a replacement from ApplicationRole to ServiceLinkedRole (or back),
// CloudFormation's cleanup Delete of the old id removes the old role whether
// it carries the old properties or the new ones: what to delete follows from
// the PhysicalResourceId and IAM's state, never from RoleType in the event.
func TestCleanupDeleteDecidesFromTheIDAndIAM(t *testing.T) {
	app := map[string]any{"RoleName": "qb-role-a"}
	for _, carries := range []string{"old", "new"} {
		t.Run("application role replaced by the service-linked role, cleanup carrying the "+carries+" properties", func(t *testing.T) {
			e := newEnv(t)
			e.mustHandle(request(t, cfn.RequestCreate, "R", "", app, nil))
			slr := e.mustHandle(request(t, cfn.RequestUpdate, "R", "qb-role-a", slrProps, app))
			props := app
			if carries == "new" {
				props = slrProps
			}
			res := e.mustHandle(request(t, cfn.RequestDelete, "R", "qb-role-a", props, nil))
			if res.Outcome != roles.Deleted || e.exists("qb-role-a") || !e.exists(slr.Attributes()["RoleName"].(string)) {
				t.Errorf("cleanup Delete: %+v; old role exists %v", res, e.exists("qb-role-a"))
			}
		})
		t.Run("service-linked role replaced by an application role, cleanup carrying the "+carries+" properties", func(t *testing.T) {
			e := newEnv(t)
			slr := e.mustHandle(request(t, cfn.RequestCreate, "R", "", slrProps, nil))
			if slr.Outcome != roles.Created {
				t.Fatalf("Create: %+v", slr)
			}
			e.mustHandle(request(t, cfn.RequestUpdate, "R", slr.PhysicalResourceID, app, slrProps))
			props := slrProps
			if carries == "new" {
				props = app
			}
			res := e.mustHandle(request(t, cfn.RequestDelete, "R", slr.PhysicalResourceID, props, nil))
			if res.Outcome != roles.Deleted || e.exists(slr.PhysicalResourceID) || !e.exists("qb-role-a") {
				t.Errorf("cleanup Delete: %+v", res)
			}
		})
	}
}

// snapshot describes the role fully enough to notice any change.
func (e *env) snapshot(name string) string {
	return rolestest.Snapshot(context.Background(), e.iam, name)
}

// Found by the model (shrunk): resource A's role qb-role-b is deleted by hand
// and resource B of the same stack then creates its own qb-role-b. A's Update,
// and its rollback, fail without touching B's role: IAM does not allow A's old
// state any more, and taking B's role would hijack it (the stack stays in
// UPDATE_ROLLBACK_FAILED until an operator skips the resource). The reason
// names B: "not managed by this stack" would be untrue.
func TestUpdateNeverTakesAnotherResourcesRoleUnderTheSameName(t *testing.T) {
	e := newEnv(t)
	props := map[string]any{"RoleName": "qb-role-b"}
	e.mustHandle(request(t, cfn.RequestCreate, "A", "", props, nil))
	e.deleteRoleByHand("qb-role-b")
	e.mustHandle(request(t, cfn.RequestCreate, "B", "", props, nil))
	before := e.snapshot("qb-role-b")
	next := map[string]any{"RoleName": "qb-role-c", "Path": "/p1/"}
	for _, ev := range []cfn.Event{
		request(t, cfn.RequestUpdate, "A", "qb-role-b", map[string]any{"RoleName": "qb-role-b", "Description": "new"}, props),
		request(t, cfn.RequestUpdate, "A", "qb-role-b", props, next),
	} {
		resp, _ := e.answer(ev)
		if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, "it belongs to B, another resource of this same stack, not to A") ||
			resp.PhysicalResourceID != "qb-role-b" {
			t.Errorf("A's Update: %+v", resp)
		}
		if len(e.rec.Writes()) > 0 {
			t.Errorf("writes %v", e.rec.Writes())
		}
	}
	if e.snapshot("qb-role-b") != before {
		t.Error("B's role changed")
	}
}

// Found in review: an Update that pins the generated name as RoleName and
// fails; its rollback (RoleName removed again) keeps the role instead of
// replacing it, which would delete the role its dependents use.
func TestRollbackOfAPinnedGeneratedNameKeepsTheRole(t *testing.T) {
	e := newEnv(t)
	created := e.mustHandle(request(t, cfn.RequestCreate, "R", "", map[string]any{}, nil))
	pinned := map[string]any{"RoleName": created.PhysicalResourceID, "MaxSessionDuration": "99"}
	if _, err := e.handle(request(t, cfn.RequestUpdate, "R", created.PhysicalResourceID, pinned, map[string]any{})); err == nil {
		t.Fatal("an invalid MaxSessionDuration was accepted")
	}
	res, err := e.handle(request(t, cfn.RequestUpdate, "R", created.PhysicalResourceID, map[string]any{}, pinned))
	if err != nil || res.PhysicalResourceID != created.PhysicalResourceID || res.Outcome != roles.Unchanged {
		t.Errorf("rollback Update: %+v, %v; want the same role, unchanged", res, err)
	}
	if e.roleCount() != 1 {
		t.Errorf("%d roles, want 1", e.roleCount())
	}
}

// Found by a user trying to break it: the resource's role is deleted by hand
// and someone else makes a role under its name. An Update to another name
// creates the new role and leaves theirs alone, and so does the cleanup
// Delete of the old id; only an Update that keeps the name is refused.
func TestRenameAwayFromANameSomeoneElseTook(t *testing.T) {
	e := newEnv(t)
	a := map[string]any{"RoleName": "qb-role-a"}
	e.mustHandle(request(t, cfn.RequestCreate, "R", "", a, nil))
	e.deleteRoleByHand("qb-role-a")
	if err := rolestest.CreateForeign(context.Background(), e.iam, "qb-role-a"); err != nil {
		t.Fatal(err)
	}
	theirs := e.snapshot("qb-role-a")
	if _, err := e.handle(request(t, cfn.RequestUpdate, "R", "qb-role-a", map[string]any{"RoleName": "qb-role-a", "Description": "x"}, a)); err == nil ||
		!strings.Contains(err.Error(), "not managed by this stack") {
		t.Errorf("Update keeping the name: %v", err)
	}
	b := map[string]any{"RoleName": "qb-role-b"}
	res := e.mustHandle(request(t, cfn.RequestUpdate, "R", "qb-role-a", b, a))
	if res.PhysicalResourceID != "qb-role-b" {
		t.Fatalf("rename: %+v", res)
	}
	e.requireMatchesSpec("qb-role-b", b, "R")
	if del := e.mustHandle(request(t, cfn.RequestDelete, "R", "qb-role-a", a, nil)); del.Outcome != roles.Skipped {
		t.Errorf("cleanup Delete: %+v", del)
	}
	if e.snapshot("qb-role-a") != theirs {
		t.Error("their role changed")
	}
}

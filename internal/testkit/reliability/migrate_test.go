//go:build integration

package reliability_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/iamwire"
)

// perStackFunction is the function of the CDK construct's per-stack
// provider; the shared provider's is cfnsim.ServiceToken.
const perStackFunction = "arn:aws:lambda:us-east-1:123456789012:function:reliability-QBusinessRoleProviderFunction-PERSTACK"

// migration is one stack moving its role from the per-stack provider to the
// shared one, as the README's migration path has it. CloudFormation refuses
// to change a custom resource's ServiceToken ("Updates aren't supported":
// CloudFormation Template Reference, "AWS::CloudFormation::CustomResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html),
// so the resource gets a new logical id: in one stack update, RoleShared
// (ServiceToken: the shared function) is created, and Role (the per-stack
// function) is taken out of the template and deleted in the update's cleanup
// through its own provider. That provider's function is removed in the same
// cleanup, after Role: Role's ServiceToken is a GetAtt of it, and "resource A
// is deleted before resource B" when A's properties refer to B
// (CloudFormation User Guide, "DependsOn attribute",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html).
// Each provider checks each request against CloudFormation for its own
// function ARN, reading the one double of the stack.
type migration struct {
	role, shared *cfnsim.Driver
	double       *cfnapi.Server
	admin        *iam.Client
	proxy        *iamauthz.Proxy
}

func newMigration(t *testing.T, c chain, rs *cfntest.ResponseServer) *migration {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	proxy := c.proxy(moto)
	stacks := cfnsim.NewStacks()
	double := cfnapi.Start(cfnapi.Options{Stacks: stacks, Authorize: proxy.Authorize})
	t.Cleanup(double.Close)
	client := iamauthz.Client(moto, proxy.Inside, fastRetries)
	provider := func(fn, logical string) *cfnsim.Driver {
		v := verifier(double)
		v.FunctionARN = fn
		return &cfnsim.Driver{Invoke: function(client, v), Responses: rs, StackID: stackID, LogicalID: logical,
			Timeout: 10 * time.Second, Stacks: stacks, ServiceToken: fn}
	}
	return &migration{role: provider(perStackFunction, "Role"), shared: provider(cfnsim.ServiceToken, "RoleShared"),
		double: double, admin: c.admin(moto), proxy: proxy}
}

// TestMigrationToTheSharedProvider follows the README's migration path from
// the per-stack provider to the shared one: with a generated name the stack
// ends with a new role (the application's RoleArn, a GetAtt of the new
// resource, takes its ARN) and the old one deleted; with a fixed RoleName the
// new resource's Create is refused naming the old logical id, nothing
// changes, the rollback deletes nothing, and the stack keeps its role until
// the user follows the message.
func TestMigrationToTheSharedProvider(t *testing.T) {
	for _, c := range []chain{viaMoto, strictIAM} {
		t.Run(c.name, func(t *testing.T) { migrate(t, c) })
	}
}

func migrate(t *testing.T, c chain) {
	ctx := context.Background()
	t.Run("generated name: a new role through the shared provider, the old one deleted through the per-stack one", func(t *testing.T) {
		rs := cfntest.NewResponseServer()
		t.Cleanup(rs.Close)
		mg := newMigration(t, c, rs)
		mustCreate(t, rs, mg.role, map[string]any{})
		old := mg.role.Physical
		mustCreate(t, rs, mg.shared, map[string]any{})
		if mg.shared.Physical == old {
			t.Fatalf("RoleShared took the old role %s", old)
		}
		created := lastAnswer(rs)
		if arn, _ := created.Data[schema.AttrArn].(string); !strings.HasSuffix(arn, "/"+mg.shared.Physical) {
			t.Errorf("RoleShared's Arn %q, want the new role's: the application's RoleArn", arn)
		}
		if err := mg.role.Remove(); err != nil || len(mg.role.Abandoned) > 0 {
			t.Fatalf("Role's cleanup Delete: %v, abandoned %v: %s", err, mg.role.Abandoned, lastReason(rs))
		}
		mg.requireRoles(ctx, t, mg.shared.Physical)
		mg.requireBelieved(ctx, t)
		mg.requireLetThrough(t, rs)
	})
	t.Run("fixed RoleName: refused naming Role, nothing changed; then the message followed", func(t *testing.T) {
		rs := cfntest.NewResponseServer()
		t.Cleanup(rs.Close)
		mg := newMigration(t, c, rs)
		fixed := map[string]any{"RoleName": "qbusiness-migrated"}
		mustCreate(t, rs, mg.role, fixed)
		before := allRoles(ctx, t, &rig{admin: mg.admin})
		decided := len(mg.proxy.Decisions())
		ok, err := mg.shared.Create(fixed)
		if ok || err != nil {
			t.Fatalf("RoleShared's Create: succeeded %v, rollback error %v", ok, err)
		}
		puts := rs.Puts()
		create, rollback := puts[len(puts)-2].Response, puts[len(puts)-1].Response
		if create.Status != cfn.StatusFailed || strings.Contains(create.Reason, "not managed by this stack") ||
			!strings.Contains(create.Reason, "it belongs to Role, another resource of this same stack, not to RoleShared") {
			t.Errorf("RoleShared's Create: %s %q", create.Status, create.Reason)
		}
		if rollback.Status != cfn.StatusSuccess || !roles.DeletesNothing(rollback.PhysicalResourceID) {
			t.Errorf("the rollback's Delete: %s under %q, want SUCCESS naming nothing", rollback.Status, rollback.PhysicalResourceID)
		}
		if w := writeRequests(mg.proxy, decided); !slices.Equal(w, []string{"CreateRole"}) {
			t.Errorf("IAM writes %v, want only the refused CreateRole", w)
		}
		if after := allRoles(ctx, t, &rig{admin: mg.admin}); !maps.Equal(before, after) {
			t.Errorf("IAM changed:\nbefore %v\nafter  %v", before, after)
		}
		if st, _ := mg.double.Stacks().Stack(stackID); st.StackStatus != cfnsim.UpdateRollbackComplete || mg.role.Physical != "qbusiness-migrated" {
			t.Errorf("stack %s, Role under %q; want UPDATE_ROLLBACK_COMPLETE with Role's role", st.StackStatus, mg.role.Physical)
		}
		// What the message says: no RoleName on the new resource, then deploy.
		mustCreate(t, rs, mg.shared, map[string]any{})
		if err := mg.role.Remove(); err != nil || len(mg.role.Abandoned) > 0 {
			t.Fatalf("Role's cleanup Delete: %v, abandoned %v: %s", err, mg.role.Abandoned, lastReason(rs))
		}
		mg.requireRoles(ctx, t, mg.shared.Physical)
		mg.requireBelieved(ctx, t)
		mg.requireLetThrough(t, rs)
	})
	t.Run("service-linked role: OnDelete Retain first, then adopted through the shared provider and kept", func(t *testing.T) {
		rs := cfntest.NewResponseServer()
		t.Cleanup(rs.Close)
		mg := newMigration(t, c, rs)
		slr := map[string]any{"RoleType": "ServiceLinkedRole"}
		mustCreate(t, rs, mg.role, slr)
		if ok, err := mg.role.Update(map[string]any{"RoleType": "ServiceLinkedRole", "OnDelete": "Retain"}); !ok || err != nil {
			t.Fatalf("Role's Update to OnDelete Retain: %v %v %s", ok, err, lastReason(rs))
		}
		mustCreate(t, rs, mg.shared, slr)
		if id := roles.ParsePhysicalID(mg.shared.Physical); id.Kind != roles.IDAdopted {
			t.Errorf("RoleShared under %q, want the service-linked role adopted", mg.shared.Physical)
		}
		if err := mg.role.Remove(); err != nil || len(mg.role.Abandoned) > 0 {
			t.Fatalf("Role's cleanup Delete: %v, abandoned %v: %s", err, mg.role.Abandoned, lastReason(rs))
		}
		mg.requireRoles(ctx, t, schema.ServiceLinkedRoleName)
		mg.requireLetThrough(t, rs)
	})
}

// mustCreate creates d's resource with props, which must succeed.
func mustCreate(t *testing.T, rs *cfntest.ResponseServer, d *cfnsim.Driver, props map[string]any) {
	t.Helper()
	if ok, err := d.Create(props); !ok || err != nil {
		t.Fatalf("%s's Create: %v %v %s", d.LogicalID, ok, err, lastReason(rs))
	}
}

func lastAnswer(rs *cfntest.ResponseServer) cfn.Response {
	puts := rs.Puts()
	return puts[len(puts)-1].Response
}

// writeRequests are the IAM writes the function asked for through proxy
// (whether or not IAM carried them out) since its decision number from, each
// once.
func writeRequests(proxy *iamauthz.Proxy, from int) []string {
	var out []string
	for _, d := range proxy.Decisions()[from:] {
		if d.Inside && strings.HasPrefix(d.Action, "iam:") && !strings.HasPrefix(d.Request, "Get") && !strings.HasPrefix(d.Request, "List") {
			out = append(out, d.Request)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// requireRoles checks that IAM holds exactly the roles names (as IAM spells
// them).
func (mg *migration) requireRoles(ctx context.Context, t *testing.T, names ...string) {
	t.Helper()
	got, err := roleNames(ctx, mg.admin)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range got {
		got[i] = iamwire.RoleName(n)
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("roles in IAM %v, want %v", got, names)
	}
}

// requireBelieved checks that RoleShared's role matches its properties.
func (mg *migration) requireBelieved(ctx context.Context, t *testing.T) {
	t.Helper()
	stack, _ := roles.ParseStackID(stackID)
	spec, err := roles.ParseSpec(mg.shared.Props, stack, mg.shared.LogicalID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rolestest.Mismatches(ctx, mg.admin, mg.shared.Physical, spec) {
		t.Errorf("RoleShared's role %s: %s", mg.shared.Physical, m)
	}
}

// requireLetThrough checks that both providers let every request
// CloudFormation sent through their check, each reading CloudFormation.
func (mg *migration) requireLetThrough(t *testing.T, rs *cfntest.ResponseServer) {
	t.Helper()
	for _, bad := range (&rig{cfn: mg.double}).checked(rs.Puts()) {
		t.Error(bad)
	}
}

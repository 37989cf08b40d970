//go:build integration

package roles_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// The lifecycle of the role types that trust one application
// (DataSourceRole in its three forms, PluginRole, RetrieverRole) on moto,
// through the authorizing proxy (template.yaml's execution-role policy) and,
// with QBROLE_TEST_IAM=strict, the strict IAM layer: one test per concern,
// each run for every form (roles.RoleTypeForms, the forms the golden tests
// render).

// Values the forms change to.
const (
	otherApplicationID = "b2c3d4e5-f6a7-8901-bcde-f23456789012"
	otherIndexID       = "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809"
	otherKendraIndexID = "kkkkkkkk-5555-6666-7777-888888888888"
	otherBucket        = "qbrole-other-docs"
	testBoundary       = "arn:aws:iam::aws:policy/PowerUserAccess"
)

// demoStack is the stack of the events under events/.
func demoStack(t *testing.T) roles.Stack {
	t.Helper()
	stack, err := roles.ParseStackID(loadEvent(t, "create-application-role.json", nil).StackID)
	if err != nil {
		t.Fatal(err)
	}
	return stack
}

// secretARN is the ARN of the secret named id in the demo stack's
// partition, region and account.
func secretARN(stack roles.Stack, id string) string {
	return "arn:" + stack.Partition + ":secretsmanager:" + stack.Region + ":" + stack.AccountID + ":secret:" + id
}

// with is props with the changes applied: a nil value removes the property.
func with(props map[string]any, changes map[string]any) map[string]any {
	out := maps.Clone(props)
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func tags(kv ...string) []any {
	var out []any
	for i := 0; i < len(kv); i += 2 {
		out = append(out, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	return out
}

// A role of each form is created with its page's documents and its type's
// defaults, under RoleName or a generated name that keeps QBusiness in it,
// with two IAM writes; its Delete removes it with two more.
func TestRoleTypesCreateAndDelete(t *testing.T) {
	for _, f := range roles.RoleTypeForms(demoStack(t)) {
		t.Run(f.Name, func(t *testing.T) {
			e := newEnv(t)
			named := with(f.Props, map[string]any{"RoleName": "qb-created"})
			for _, c := range []struct {
				logical string
				props   map[string]any
			}{{"Named", named}, {"Generated", f.Props}} {
				ev := request(t, cfn.RequestCreate, c.logical, "", c.props, nil)
				res := e.mustHandle(ev)
				if res.Outcome != roles.Created || !slices.Equal(e.rec.Writes(), []string{"CreateRole", "PutRolePolicy"}) {
					t.Errorf("%s: result %+v, writes %v", c.logical, res, e.rec.Writes())
				}
				if c.props["RoleName"] == nil && (res.PhysicalResourceID != roles.GeneratedRoleName(demoStack(t), c.logical, ev.RequestID) ||
					!strings.Contains(res.PhysicalResourceID, "QBusiness")) {
					t.Errorf("generated name %q", res.PhysicalResourceID)
				}
				r := e.role(res.PhysicalResourceID)
				if res.Attributes()["Arn"] != aws.ToString(r.Arn) || aws.ToString(r.Path) != roles.DefaultPath {
					t.Errorf("%s: data %v, role %s at %s", c.logical, res.Attributes(), aws.ToString(r.Arn), aws.ToString(r.Path))
				}
				e.requireMatchesSpec(res.PhysicalResourceID, c.props, c.logical)
				del := e.mustHandle(request(t, cfn.RequestDelete, c.logical, res.PhysicalResourceID, c.props, nil))
				if del.Outcome != roles.Deleted || e.exists(res.PhysicalResourceID) ||
					!slices.Equal(e.rec.Writes(), []string{"DeleteRolePolicy", "DeleteRole"}) {
					t.Errorf("%s: delete %+v, writes %v, exists %v", c.logical, del, e.rec.Writes(), e.exists(res.PhysicalResourceID))
				}
			}
		})
	}
}

// inPlace is an Update from the form's properties with from applied to
// them with to applied: the IAM writes it must make, nothing else.
type inPlace struct {
	name     string
	from, to map[string]any
	writes   []string
}

// commonInPlace is every common role property's in-place update, the same
// for every form.
var commonInPlace = []inPlace{
	{"Description", nil, map[string]any{"Description": "changed"}, []string{"UpdateRole"}},
	{"MaxSessionDuration", nil, map[string]any{"MaxSessionDuration": "7200"}, []string{"UpdateRole"}},
	{"Tags: one added", map[string]any{"Tags": tags("team", "a")}, map[string]any{"Tags": tags("team", "a", "env", "prod")}, []string{"TagRole"}},
	{"Tags: a value changed", map[string]any{"Tags": tags("team", "a")}, map[string]any{"Tags": tags("team", "b")}, []string{"TagRole"}},
	{"Tags: removed", map[string]any{"Tags": tags("team", "a")}, nil, []string{"UntagRole"}},
	{"PermissionsBoundary added", nil, map[string]any{"PermissionsBoundary": testBoundary}, []string{"PutRolePermissionsBoundary"}},
	{"PermissionsBoundary removed", map[string]any{"PermissionsBoundary": testBoundary}, nil, []string{"DeleteRolePermissionsBoundary"}},
	{"PolicyName", nil, map[string]any{"PolicyName": "Renamed"}, []string{"DeleteRolePolicy", "PutRolePolicy"}},
	{"OnDelete", nil, map[string]any{"OnDelete": "Retain"}, nil},
	{"nothing", nil, nil, nil},
}

// typedInPlace is each form's own properties' in-place updates. The
// application id is in the trust policy of every form and in the
// permissions policy of the data-source forms only.
func typedInPlace(stack roles.Stack) map[string][]inPlace {
	secret, otherSecret := secretARN(stack, roles.FormSecretID), secretARN(stack, "qbrole/other-creds-GhIjKl")
	app := map[string]any{"ApplicationId": otherApplicationID}
	trustAndPolicy := []string{"UpdateAssumeRolePolicy", "PutRolePolicy"}
	policy := []string{"PutRolePolicy"}
	return map[string][]inPlace{
		"data source, generic": {
			{"ApplicationId", nil, app, trustAndPolicy},
			{"IndexId", nil, map[string]any{"IndexId": otherIndexID}, policy},
			{"BucketName added: the S3 document", nil, map[string]any{"BucketName": otherBucket}, policy},
			{"SecretArn added", nil, map[string]any{"SecretArn": secret}, policy},
		},
		"data source, generic with a secret": {
			{"ApplicationId", nil, app, trustAndPolicy},
			{"SecretArn changed", nil, map[string]any{"SecretArn": otherSecret}, policy},
			{"SecretArn removed", nil, map[string]any{"SecretArn": nil}, policy},
			{"SecretArn for BucketName", nil, map[string]any{"SecretArn": nil, "BucketName": otherBucket}, policy},
		},
		"data source, S3": {
			{"ApplicationId", nil, app, trustAndPolicy},
			{"IndexId", nil, map[string]any{"IndexId": otherIndexID}, policy},
			{"BucketName changed", nil, map[string]any{"BucketName": otherBucket}, policy},
			{"BucketName removed: the generic document", nil, map[string]any{"BucketName": nil}, policy},
		},
		"plugin": {
			{"ApplicationId", nil, app, []string{"UpdateAssumeRolePolicy"}},
			{"SecretArn", nil, map[string]any{"SecretArn": otherSecret}, policy},
		},
		"retriever": {
			{"ApplicationId", nil, app, []string{"UpdateAssumeRolePolicy"}},
			{"KendraIndexId", nil, map[string]any{"KendraIndexId": otherKendraIndexID}, policy},
		},
	}
}

// Each property of each form is updated in place with exactly the IAM
// writes it needs; the same Update again writes nothing.
func TestRoleTypesUpdateInPlace(t *testing.T) {
	stack := demoStack(t)
	typed := typedInPlace(stack)
	for _, f := range roles.RoleTypeForms(stack) {
		own, ok := typed[f.Name]
		if !ok {
			t.Fatalf("form %q has no in-place updates of its own properties", f.Name)
		}
		base := with(f.Props, map[string]any{"RoleName": "qb-in-place"})
		for _, c := range slices.Concat(commonInPlace, own) {
			t.Run(f.Name+"/"+c.name, func(t *testing.T) {
				e := newEnv(t)
				from, to := with(base, c.from), with(base, c.to)
				e.mustHandle(request(t, cfn.RequestCreate, "R", "", from, nil))
				up := request(t, cfn.RequestUpdate, "R", "qb-in-place", to, from)
				res := e.mustHandle(up)
				if got := e.rec.Writes(); !slices.Equal(got, c.writes) {
					t.Errorf("writes %v, want %v", got, c.writes)
				}
				want := roles.Updated
				if len(c.writes) == 0 {
					want = roles.Unchanged
				}
				if res.PhysicalResourceID != "qb-in-place" || res.Outcome != want {
					t.Errorf("result %+v, want %s in place", res, want)
				}
				e.requireMatchesSpec("qb-in-place", to, "R")
				if res := e.mustHandle(up); res.Outcome != roles.Unchanged || len(e.rec.Writes()) > 0 {
					t.Errorf("the same Update again: %+v, writes %v", res, e.rec.Writes())
				}
			})
		}
	}
}

// Changing RoleType between the types qbrole owns is an in-place update of
// the same role: trust, settings and policy follow the new type's page and
// defaults; a Description and PolicyName given in both stay put.
func TestRoleTypeSwitchInPlace(t *testing.T) {
	stack := demoStack(t)
	form := map[string]map[string]any{}
	for _, f := range roles.RoleTypeForms(stack) {
		form[f.Name] = with(f.Props, map[string]any{"RoleName": "qb-switch"})
	}
	app := map[string]any{"RoleName": "qb-switch"}
	kept := map[string]any{"Description": "kept", "PolicyName": "Kept"}
	// The trust, the default Description, and the default PolicyName (the
	// old policy deleted, the new one put) all change.
	everything := []string{"UpdateAssumeRolePolicy", "UpdateRole", "DeleteRolePolicy", "PutRolePolicy"}
	cases := []struct {
		name     string
		from, to map[string]any
		writes   []string
	}{
		{"ApplicationRole to DataSourceRole", app, form["data source, generic"], everything},
		{"ApplicationRole to DataSourceRole, Description and PolicyName kept", with(app, kept), with(form["data source, S3"], kept),
			[]string{"UpdateAssumeRolePolicy", "PutRolePolicy"}},
		{"DataSourceRole to PluginRole", form["data source, generic with a secret"], form["plugin"], everything},
		{"PluginRole to RetrieverRole", form["plugin"], form["retriever"], everything},
		{"RetrieverRole to ApplicationRole", form["retriever"], app, everything},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.from == nil || c.to == nil {
				t.Fatal("a form this case names is not among roles.RoleTypeForms")
			}
			e := newEnv(t)
			created := e.mustHandle(request(t, cfn.RequestCreate, "R", "", c.from, nil))
			res := e.mustHandle(request(t, cfn.RequestUpdate, "R", "qb-switch", c.to, c.from))
			if res.Outcome != roles.Updated || res.PhysicalResourceID != "qb-switch" || res.Attributes()["RoleId"] != created.Attributes()["RoleId"] {
				t.Errorf("result %+v: want the same role, updated", res)
			}
			if got := e.rec.Writes(); !slices.Equal(got, c.writes) {
				t.Errorf("writes %v, want %v", got, c.writes)
			}
			e.requireMatchesSpec("qb-switch", c.to, "R")
		})
	}
}

// Changing RoleType to or from ServiceLinkedRole makes a new role, as
// CloudFormation replaces a resource: the old one stays until the cleanup
// Delete of its id, which removes it (CloudFormation User Guide, "Understand
// update behaviors of stack resources", Replacement: the replacement is
// created first, the old resource deleted after,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
func TestRoleTypeSwitchWithServiceLinkedRole(t *testing.T) {
	var ds map[string]any
	for _, f := range roles.RoleTypeForms(demoStack(t)) {
		if f.Props["RoleType"] == string(schema.DataSourceRole) && ds == nil {
			ds = with(f.Props, map[string]any{"RoleName": "qb-owned"})
		}
	}
	cases := []struct {
		name     string
		from, to map[string]any
		writes   []string
	}{
		{"DataSourceRole to ServiceLinkedRole", ds, slrProps, []string{"CreateServiceLinkedRole"}},
		{"ServiceLinkedRole to DataSourceRole", slrProps, ds, []string{"CreateRole", "PutRolePolicy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			old := e.mustHandle(request(t, cfn.RequestCreate, "R", "", c.from, nil))
			res := e.mustHandle(request(t, cfn.RequestUpdate, "R", old.PhysicalResourceID, c.to, c.from))
			if res.Outcome != roles.Created || res.PhysicalResourceID == old.PhysicalResourceID {
				t.Fatalf("result %+v: want a new role", res)
			}
			if got := e.rec.Writes(); !slices.Equal(got, c.writes) {
				t.Errorf("writes %v, want %v", got, c.writes)
			}
			if c.to["RoleType"] == string(schema.ServiceLinkedRole) {
				if p := aws.ToString(e.role(res.PhysicalResourceID).Path); p != schema.ServiceLinkedRolePath {
					t.Errorf("new role at %s", p)
				}
			} else {
				e.requireMatchesSpec(res.PhysicalResourceID, c.to, "R")
			}
			if !e.exists(old.PhysicalResourceID) {
				t.Fatal("the old role went before CloudFormation's Delete")
			}
			if del := e.mustHandle(request(t, cfn.RequestDelete, "R", old.PhysicalResourceID, c.from, nil)); del.Outcome != roles.Deleted ||
				e.exists(old.PhysicalResourceID) || !e.exists(res.PhysicalResourceID) {
				t.Errorf("cleanup Delete %+v: old role exists %v, new %v", del, e.exists(old.PhysicalResourceID), e.exists(res.PhysicalResourceID))
			}
		})
	}
}

// A new RoleName, or a new Path with a generated name, replaces the role of
// each form: a new role, the old one kept until its cleanup Delete.
func TestRoleTypesReplacement(t *testing.T) {
	cases := []struct {
		name     string
		from, to map[string]any
		path     string
	}{
		{"RoleName changed", map[string]any{"RoleName": "qb-first"}, map[string]any{"RoleName": "qb-second"}, roles.DefaultPath},
		{"Path changed, name generated", nil, map[string]any{"Path": "/qbusiness/"}, "/qbusiness/"},
	}
	for _, f := range roles.RoleTypeForms(demoStack(t)) {
		for _, c := range cases {
			t.Run(f.Name+"/"+c.name, func(t *testing.T) {
				e := newEnv(t)
				from, to := with(f.Props, c.from), with(f.Props, c.to)
				old := e.mustHandle(request(t, cfn.RequestCreate, "R", "", from, nil))
				up := request(t, cfn.RequestUpdate, "R", old.PhysicalResourceID, to, from)
				res := e.mustHandle(up)
				name := res.PhysicalResourceID
				if to["RoleName"] == nil && name != roles.GeneratedRoleName(demoStack(t), "R", up.RequestID) {
					t.Errorf("new role %q, want a generated name", name)
				}
				if res.Outcome != roles.Created || name == old.PhysicalResourceID || aws.ToString(e.role(name).Path) != c.path ||
					!slices.Equal(e.rec.Writes(), []string{"CreateRole", "PutRolePolicy"}) {
					t.Fatalf("result %+v, writes %v", res, e.rec.Writes())
				}
				e.requireMatchesSpec(name, to, "R")
				if !e.exists(old.PhysicalResourceID) {
					t.Fatal("the old role went before CloudFormation's Delete")
				}
				e.mustHandle(request(t, cfn.RequestDelete, "R", old.PhysicalResourceID, from, nil))
				if e.exists(old.PhysicalResourceID) || !e.exists(name) {
					t.Errorf("after the cleanup Delete: old role exists %v, new %v", e.exists(old.PhysicalResourceID), e.exists(name))
				}
			})
		}
	}
}

// Drift of each form's role is repaired by an Update with the same
// properties, one IAM write per drifted part.
func TestRoleTypesRepairDrift(t *testing.T) {
	ctx := context.Background()
	const name = "qb-drifted"
	cases := []struct {
		name   string
		drift  func(e *env, spec roles.Spec) error
		writes []string
	}{
		{"trust policy edited by hand", func(e *env, _ roles.Spec) error {
			_, err := e.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` +
					schema.ServicePrincipal + `"},"Action":"sts:AssumeRole"}]}`)})
			return err
		}, []string{"UpdateAssumeRolePolicy"}},
		{"permissions policy edited by hand", func(e *env, spec roles.Spec) error {
			_, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(spec.PolicyName),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)})
			return err
		}, []string{"PutRolePolicy"}},
		{"managed policy attached by hand", func(e *env, _ roles.Spec) error {
			_, err := e.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: managedPolicy(t, e)})
			return err
		}, []string{"DetachRolePolicy"}},
	}
	stack := demoStack(t)
	for _, f := range roles.RoleTypeForms(stack) {
		props := with(f.Props, map[string]any{"RoleName": name})
		spec, err := roles.ParseSpec(props, stack, "R")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(f.Name+"/"+c.name, func(t *testing.T) {
				e := newEnv(t)
				e.mustHandle(request(t, cfn.RequestCreate, "R", "", props, nil))
				if err := c.drift(e, spec); err != nil {
					t.Fatal(err)
				}
				res := e.mustHandle(request(t, cfn.RequestUpdate, "R", name, props, props))
				if got := e.rec.Writes(); res.Outcome != roles.Updated || !slices.Equal(got, c.writes) {
					t.Errorf("outcome %s, writes %v, want %v", res.Outcome, got, c.writes)
				}
				e.requireMatchesSpec(name, props, "R")
				if res := e.mustHandle(request(t, cfn.RequestUpdate, "R", name, props, props)); res.Outcome != roles.Unchanged {
					t.Errorf("after the repair: %+v, writes %v", res, e.rec.Writes())
				}
			})
		}
	}
}

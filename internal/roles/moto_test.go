//go:build integration

package roles_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/iamstrict"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// moto is IAM; the manager calls it through the authorizing proxy, as the
// function would under template.yaml's execution-role policy.
var (
	moto  *motoserver.Server
	authz *iamauthz.Harness
)

func TestMain(m *testing.M) { iamauthz.RunTests(m, &authz, &moto) }

// env is one test's view of moto: a clean IAM, a manager that uses it, a
// recorder of the manager's calls, and a separate client for looking and for
// changes "by hand".
type env struct {
	t   *testing.T
	m   *roles.Manager
	rec *motoserver.Recorder
	iam *iam.Client
	// quirks are the strict layer's, when the tests run through it (else none).
	quirks iamstrict.Options
}

func newEnv(t *testing.T) *env {
	t.Helper()
	proxy, admin := authz.Chain(moto)
	var quirks iamstrict.Options
	if proxy == authz.Strict(moto) {
		quirks = iamauthz.StrictOptions
	}
	return newEnvVia(t, proxy, admin, quirks)
}

// newStrictEnv is an env through the strict layer, whatever the run asks for:
// for behaviours only IAM has.
func newStrictEnv(t *testing.T) *env {
	t.Helper()
	return newEnvVia(t, authz.Strict(moto), moto.IAM("testing", "testing", func(o *iam.Options) { o.BaseEndpoint = aws.String(authz.Layer(moto).URL) }),
		iamauthz.StrictOptions)
}

func newEnvVia(t *testing.T, proxy *iamauthz.Proxy, admin *iam.Client, quirks iamstrict.Options) *env {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	rec := &motoserver.Recorder{}
	client := iamauthz.Client(moto, proxy.Inside, func(o *iam.Options) { o.HTTPClient = &http.Client{Transport: rec} })
	return &env{t: t, rec: rec, iam: admin, quirks: quirks,
		m: &roles.Manager{IAM: client, PropagationTimeout: 3 * time.Second, RetryDelay: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond}}
}

// loadEvent reads one of the events under events/ and lets the test change it.
func loadEvent(t *testing.T, file string, change func(*cfn.Event)) cfn.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := cfnresource.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(&ev)
	}
	return ev
}

func (e *env) handle(ev cfn.Event) (roles.Result, error) {
	e.t.Helper()
	e.rec.Reset()
	return e.m.Handle(context.Background(), ev)
}

// answer is the response the function would send for ev, and the Manager's
// Result it came from: ev goes through a Runner, as in the function.
func (e *env) answer(ev cfn.Event) (cfn.Response, roles.Result) {
	e.t.Helper()
	e.rec.Reset()
	var res roles.Result
	h := cfnresource.HandlerFunc(func(ctx context.Context, ev cfn.Event) (cfnresource.Result, error) {
		r, err := e.m.Handle(ctx, ev)
		res = r
		return resource.Answer(r), err
	})
	resp, err := rolestest.Answer(context.Background(), h, ev)
	if err != nil {
		e.t.Fatalf("%s: no answer: %v", ev.RequestType, err)
	}
	return resp, res
}

func (e *env) mustHandle(ev cfn.Event) roles.Result {
	e.t.Helper()
	res, err := e.handle(ev)
	if err != nil {
		e.t.Fatalf("%s: %v", ev.RequestType, err)
	}
	return res
}

func (e *env) role(name string) *types.Role {
	e.t.Helper()
	out, err := e.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("GetRole %s: %v", name, err)
	}
	return out.Role
}

func (e *env) exists(name string) bool {
	_, err := e.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	return err == nil
}

func (e *env) inline(name, policy string) string {
	e.t.Helper()
	out, err := e.iam.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policy)})
	if err != nil {
		e.t.Fatalf("GetRolePolicy %s/%s: %v", name, policy, err)
	}
	return aws.ToString(out.PolicyDocument)
}

func (e *env) roleCount() int {
	e.t.Helper()
	out, err := e.iam.ListRoles(context.Background(), &iam.ListRolesInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(out.Roles)
}

// requireMatchesSpec checks the role in IAM against the reference documents
// (through roles.SameDocument) and every other property.
func (e *env) requireMatchesSpec(name string, props map[string]any, logical string) {
	e.t.Helper()
	stack, _ := roles.ParseStackID(loadEvent(e.t, "create-application-role.json", nil).StackID)
	spec, err := roles.ParseSpec(props, stack, logical)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range rolestest.Mismatches(context.Background(), e.iam, name, spec) {
		e.t.Errorf("role %s: %s", name, m)
	}
}

func decode(doc string) string {
	s, _ := url.QueryUnescape(doc)
	return s
}

// 1. Create ApplicationRole.
func TestCreateApplicationRole(t *testing.T) {
	e := newEnv(t)
	ev := loadEvent(t, "create-application-role.json", nil)
	res := e.mustHandle(ev)
	if res.PhysicalResourceID != "qbusiness-demo-app-role" || res.Outcome != roles.Created {
		t.Errorf("result = %+v", res)
	}
	r := e.role("qbusiness-demo-app-role")
	if res.Attributes()["Arn"] != aws.ToString(r.Arn) || res.Attributes()["RoleId"] != aws.ToString(r.RoleId) || res.Attributes()["RoleName"] != "qbusiness-demo-app-role" {
		t.Errorf("Data = %v, role %s %s", res.Attributes(), aws.ToString(r.Arn), aws.ToString(r.RoleId))
	}
	e.requireMatchesSpec("qbusiness-demo-app-role", ev.ResourceProperties, ev.LogicalResourceID)
	// The policy as stored equals AWS's page, statement for statement.
	var stored roles.PolicyDocument
	if err := json.Unmarshal([]byte(decode(e.inline("qbusiness-demo-app-role", roles.DefaultPolicyName))), &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored.Statement) != 5 || stored.Statement[4].Sid != "QBusinessUserSubscriptionPermissions" {
		t.Errorf("stored policy statements = %+v", stored.Statement)
	}
	// Through the strict layer, GetRole waits out the new role's invisibility.
	if got, budget := e.rec.Actions(), 3+e.quirks.NotVisible+e.quirks.ARNLag; len(got) > budget {
		t.Errorf("create made %d IAM calls %v, budget %d", len(got), got, budget)
	}
}

func TestCreateApplicationRoleWithGeneratedName(t *testing.T) {
	e := newEnv(t)
	ev := loadEvent(t, "create-application-role.json", func(ev *cfn.Event) { delete(ev.ResourceProperties, "RoleName") })
	res := e.mustHandle(ev)
	stack, _ := roles.ParseStackID(ev.StackID)
	if want := roles.GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID); res.PhysicalResourceID != want {
		t.Errorf("physical id %q, want %q", res.PhysicalResourceID, want)
	}
	e.requireMatchesSpec(res.PhysicalResourceID, ev.ResourceProperties, ev.LogicalResourceID)
}

// 2. Create ServiceLinkedRole, new and adopted.
func TestCreateServiceLinkedRole(t *testing.T) {
	e := newEnv(t)
	created := e.mustHandle(loadEvent(t, "create-service-linked-role.json", nil))
	if created.Outcome != roles.Created {
		t.Fatalf("outcome = %s", created.Outcome)
	}
	name := created.PhysicalResourceID // moto: AWSServiceRoleForqbusiness; AWS: AWSServiceRoleForQBusiness
	r := e.role(name)
	if aws.ToString(r.Path) != schema.ServiceLinkedRolePath || created.Attributes()["Arn"] != aws.ToString(r.Arn) {
		t.Errorf("role %+v, data %v", r, created.Attributes())
	}
	if !slices.Equal(e.rec.Actions(), []string{"ListRoles", "CreateServiceLinkedRole"}) {
		t.Errorf("calls = %v", e.rec.Actions())
	}

	// A second resource (another stack, a later redelivery) adopts it, at once.
	adopted := e.mustHandle(loadEvent(t, "create-service-linked-role.json", func(ev *cfn.Event) { ev.LogicalResourceID = "Other" }))
	if adopted.Outcome != roles.Adopted || roles.ParsePhysicalID(adopted.PhysicalResourceID) != (roles.PhysicalID{Kind: roles.IDAdopted, RoleName: name}) || adopted.Attributes()["RoleName"] != name {
		t.Errorf("adopt result = %+v", adopted)
	}
	if !slices.Equal(e.rec.Actions(), []string{"ListRoles"}) {
		t.Errorf("adopt made calls %v, want only ListRoles", e.rec.Actions())
	}

	// Deleting the adopted one never deletes the role, even with OnDelete Delete.
	res := e.mustHandle(loadEvent(t, "delete-service-linked-role.json", func(ev *cfn.Event) { ev.PhysicalResourceID = adopted.PhysicalResourceID }))
	if res.Outcome != roles.Skipped || !e.exists(name) {
		t.Errorf("adopted delete: %+v, role exists %v", res, e.exists(name))
	}
	// Deleting the one it created does.
	res = e.mustHandle(loadEvent(t, "delete-service-linked-role.json", func(ev *cfn.Event) { ev.PhysicalResourceID = name }))
	if res.Outcome != roles.Deleted || e.exists(name) {
		t.Errorf("delete: %+v, role exists %v", res, e.exists(name))
	}
	// Through the strict layer the first deletion tasks fail (in use) and are retried.
	want := []string{"GetRole"}
	for range 1 + e.quirks.SLRInUse {
		want = append(want, "DeleteServiceLinkedRole", "GetServiceLinkedRoleDeletionStatus")
	}
	if !slices.Equal(e.rec.Actions(), want) {
		t.Errorf("calls = %v, want %v", e.rec.Actions(), want)
	}
}

// A service-linked role someone else made a moment ago (another stack
// deploying at the same time; Q Business itself, for an application created
// without a RoleArn) is adopted, and the stack's Delete leaves it in place.
func TestServiceLinkedRoleMadeByOthersAMomentAgoIsNeverDeleted(t *testing.T) {
	e := newEnv(t)
	if _, err := e.iam.CreateServiceLinkedRole(context.Background(), &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(schema.ServicePrincipal)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	res := e.mustHandle(loadEvent(t, "create-service-linked-role.json", nil))
	if res.Outcome != roles.Adopted {
		t.Errorf("outcome %s, physical id %s: want adopted", res.Outcome, res.PhysicalResourceID)
	}
	name := res.Attributes()["RoleName"].(string)
	e.mustHandle(loadEvent(t, "delete-service-linked-role.json", func(ev *cfn.Event) { ev.PhysicalResourceID = res.PhysicalResourceID }))
	if !e.exists(name) {
		t.Error("the stack's Delete removed a service-linked role it did not create")
	}
}

func TestUpdateServiceLinkedRoleDescription(t *testing.T) {
	e := newEnv(t)
	name := e.mustHandle(loadEvent(t, "create-service-linked-role.json", nil)).PhysicalResourceID
	up := loadEvent(t, "update-service-linked-role.json", func(ev *cfn.Event) { ev.PhysicalResourceID = name })
	res := e.mustHandle(up)
	if res.Outcome != roles.Updated || !slices.Equal(e.rec.Writes(), []string{"UpdateRole"}) {
		t.Errorf("result %+v, writes %v", res, e.rec.Writes())
	}
	if got := aws.ToString(e.role(name).Description); got != up.ResourceProperties["Description"] {
		t.Errorf("description = %q", got)
	}
	if res := e.mustHandle(up); res.Outcome != roles.Unchanged || len(e.rec.Writes()) > 0 {
		t.Errorf("repeat: %+v, writes %v", res, e.rec.Writes())
	}
}

// 3. Update in place: each property, the fewest writes, drift repaired.
func TestUpdateInPlace(t *testing.T) {
	base := map[string]any{"RoleName": "app-role", "Tags": []any{map[string]any{"Key": "team", "Value": "platform"}}}
	with := func(kv ...any) map[string]any {
		p := map[string]any{}
		for k, v := range base {
			p[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(p, kv[i].(string))
			} else {
				p[kv[i].(string)] = kv[i+1]
			}
		}
		return p
	}
	cases := []struct {
		name   string
		props  map[string]any
		writes []string
	}{
		{"nothing changed", with(), nil},
		{"description", with("Description", "new"), []string{"UpdateRole"}},
		{"session duration", with("MaxSessionDuration", "7200"), []string{"UpdateRole"}},
		{"tag added", with("Tags", []any{map[string]any{"Key": "team", "Value": "platform"}, map[string]any{"Key": "env", "Value": "prod"}}), []string{"TagRole"}},
		{"tag value changed", with("Tags", []any{map[string]any{"Key": "team", "Value": "data"}}), []string{"TagRole"}},
		{"tags removed", with("Tags", nil), []string{"UntagRole"}},
		{"boundary added", with("PermissionsBoundary", "arn:aws:iam::aws:policy/PowerUserAccess"), []string{"PutRolePermissionsBoundary"}},
		{"application id", with("ApplicationId", "a1b2c3d4-e5f6-7890-abcd-ef1234567890"), []string{"PutRolePolicy"}},
		{"subscription id", with("SubscriptionId", "sub-42"), []string{"PutRolePolicy"}},
		{"source account", with("SourceAccount", "444455556666"), []string{"PutRolePolicy"}},
		{"region", with("Region", "eu-west-1"), []string{"UpdateAssumeRolePolicy", "PutRolePolicy"}},
		{"policy name", with("PolicyName", "Renamed"), []string{"DeleteRolePolicy", "PutRolePolicy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			create := loadEvent(t, "create-application-role.json", func(ev *cfn.Event) { ev.ResourceProperties = base })
			e.mustHandle(create)
			up := loadEvent(t, "update-application-role.json", func(ev *cfn.Event) {
				ev.PhysicalResourceID, ev.OldResourceProperties, ev.ResourceProperties = "app-role", base, c.props
			})
			res := e.mustHandle(up)
			if got := e.rec.Writes(); !slices.Equal(got, c.writes) {
				t.Errorf("writes = %v, want %v", got, c.writes)
			}
			if res.PhysicalResourceID != "app-role" {
				t.Errorf("physical id changed to %q", res.PhysicalResourceID)
			}
			wantOutcome := roles.Updated
			if c.writes == nil {
				wantOutcome = roles.Unchanged
			}
			if res.Outcome != wantOutcome {
				t.Errorf("outcome = %s, want %s", res.Outcome, wantOutcome)
			}
			e.requireMatchesSpec("app-role", c.props, up.LogicalResourceID)
			// Applying the same properties again writes nothing.
			e.mustHandle(up)
			if w := e.rec.Writes(); len(w) > 0 {
				t.Errorf("second update wrote %v", w)
			}
		})
	}
	t.Run("boundary removed", func(t *testing.T) {
		e := newEnv(t)
		withBoundary := with("PermissionsBoundary", "arn:aws:iam::aws:policy/PowerUserAccess")
		e.mustHandle(loadEvent(t, "create-application-role.json", func(ev *cfn.Event) { ev.ResourceProperties = withBoundary }))
		e.mustHandle(loadEvent(t, "update-application-role.json", func(ev *cfn.Event) {
			ev.PhysicalResourceID, ev.OldResourceProperties, ev.ResourceProperties = "app-role", withBoundary, base
		}))
		if got := e.rec.Writes(); !slices.Equal(got, []string{"DeleteRolePermissionsBoundary"}) {
			t.Errorf("writes = %v", got)
		}
		e.requireMatchesSpec("app-role", base, "AppRole")
	})
}

// IAM tag keys are case-insensitive: an Update that only changes a key's case
// must keep the tag (a TagRole of the new spelling and an UntagRole of the
// old one would remove it on IAM). Only IAM has this: through the strict layer.
func TestUpdateChangingATagKeysCaseKeepsTheTag(t *testing.T) {
	e := newStrictEnv(t)
	props := func(key string) map[string]any {
		return map[string]any{"RoleName": "app-role", "Tags": []any{map[string]any{"Key": key, "Value": "platform"}}}
	}
	create := loadEvent(t, "create-application-role.json", func(ev *cfn.Event) { ev.ResourceProperties = props("Team") })
	e.mustHandle(create)
	up := loadEvent(t, "update-application-role.json", func(ev *cfn.Event) {
		ev.PhysicalResourceID, ev.ResourceProperties, ev.OldResourceProperties = "app-role", props("team"), props("Team")
	})
	e.mustHandle(up)
	var found []string
	for _, tag := range e.role("app-role").Tags {
		if strings.EqualFold(aws.ToString(tag.Key), "team") {
			found = append(found, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
		}
	}
	if len(found) != 1 || !strings.HasSuffix(found[0], "=platform") {
		t.Errorf("team tags after the update: %v, want one, with its value", found)
	}
	if slices.Contains(e.rec.Writes(), "UntagRole") {
		t.Errorf("writes %v: the tag was removed", e.rec.Writes())
	}
}

func TestUpdateRepairsDrift(t *testing.T) {
	ctx := context.Background()
	create := loadEvent(t, "create-application-role.json", nil)
	name := "qbusiness-demo-app-role"
	same := loadEvent(t, "update-application-role.json", func(ev *cfn.Event) {
		ev.ResourceProperties, ev.OldResourceProperties = create.ResourceProperties, create.ResourceProperties
	})
	cases := []struct {
		name   string
		drift  func(e *env) error
		writes []string
	}{
		{"inline policy edited by hand", func(e *env) error {
			_, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(roles.DefaultPolicyName),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		}, []string{"PutRolePolicy"}},
		{"trust policy widened by hand", func(e *env) error {
			_, err := e.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)})
			return err
		}, []string{"UpdateAssumeRolePolicy"}},
		{"extra inline policy added", func(e *env) error {
			_, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("extra"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
			return err
		}, []string{"DeleteRolePolicy"}},
		{"managed policy attached", func(e *env) error {
			_, err := e.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: managedPolicy(t, e)})
			return err
		}, []string{"DetachRolePolicy"}},
		{"tag removed by hand", func(e *env) error {
			_, err := e.iam.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: []string{"team"}})
			return err
		}, []string{"TagRole"}},
		{"description changed by hand", func(e *env) error {
			_, err := e.iam.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(name), Description: aws.String("hand")})
			return err
		}, []string{"UpdateRole"}},
		{"role deleted by hand", func(e *env) error {
			if _, err := e.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(roles.DefaultPolicyName)}); err != nil {
				return err
			}
			_, err := e.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
			return err
		}, []string{"CreateRole", "PutRolePolicy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.mustHandle(create)
			if err := c.drift(e); err != nil {
				t.Fatal(err)
			}
			e.mustHandle(same)
			if got := e.rec.Writes(); !slices.Equal(got, c.writes) {
				t.Errorf("writes = %v, want %v", got, c.writes)
			}
			e.requireMatchesSpec(name, create.ResourceProperties, create.LogicalResourceID)
			out, _ := e.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
			if len(out.AttachedPolicies) > 0 {
				t.Errorf("managed policies still attached: %v", out.AttachedPolicies)
			}
			pols, _ := e.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
			if !slices.Equal(pols.PolicyNames, []string{roles.DefaultPolicyName}) {
				t.Errorf("inline policies = %v", pols.PolicyNames)
			}
		})
	}
}

// 4. Replacement.
func TestReplacement(t *testing.T) {
	t.Run("new RoleName: new role, old one kept until its Delete", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		e.mustHandle(loadEvent(t, "update-application-role.json", nil))
		res := e.mustHandle(loadEvent(t, "update-replace-application-role.json", nil))
		if res.PhysicalResourceID != "qbusiness-demo-app-role-v2" || res.Outcome != roles.Created {
			t.Fatalf("result = %+v", res)
		}
		if !e.exists("qbusiness-demo-app-role") {
			t.Error("old role deleted before CloudFormation's Delete")
		}
		ev := loadEvent(t, "update-replace-application-role.json", nil)
		e.requireMatchesSpec("qbusiness-demo-app-role-v2", ev.ResourceProperties, ev.LogicalResourceID)
		e.mustHandle(loadEvent(t, "delete-replaced-application-role.json", nil))
		if e.exists("qbusiness-demo-app-role") || !e.exists("qbusiness-demo-app-role-v2") {
			t.Error("CloudFormation's Delete of the old id must remove the old role only")
		}
	})
	t.Run("new Path with a generated name", func(t *testing.T) {
		e := newEnv(t)
		noName := func(ev *cfn.Event) { delete(ev.ResourceProperties, "RoleName") }
		first := e.mustHandle(loadEvent(t, "create-application-role.json", noName))
		up := loadEvent(t, "update-application-role.json", func(ev *cfn.Event) {
			ev.PhysicalResourceID = first.PhysicalResourceID
			ev.OldResourceProperties = map[string]any{"Tags": ev.OldResourceProperties["Tags"]}
			ev.ResourceProperties = map[string]any{"Path": "/qbusiness/"}
		})
		res := e.mustHandle(up)
		if res.PhysicalResourceID == first.PhysicalResourceID || aws.ToString(e.role(res.PhysicalResourceID).Path) != "/qbusiness/" {
			t.Errorf("result %+v", res)
		}
		if !e.exists(first.PhysicalResourceID) {
			t.Error("old role must stay until CloudFormation deletes it")
		}
	})
	t.Run("custom RoleName removed: a generated name", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		up := loadEvent(t, "update-application-role.json", func(ev *cfn.Event) { delete(ev.ResourceProperties, "RoleName") })
		res := e.mustHandle(up)
		stack, _ := roles.ParseStackID(up.StackID)
		if want := roles.GeneratedRoleName(stack, up.LogicalResourceID, up.RequestID); res.PhysicalResourceID != want || !e.exists(want) {
			t.Errorf("physical id %q, want %q", res.PhysicalResourceID, want)
		}
	})
	t.Run("new Path with the same custom name fails and changes nothing", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		up := loadEvent(t, "update-application-role.json", func(ev *cfn.Event) {
			ev.OldResourceProperties = loadEvent(t, "create-application-role.json", nil).ResourceProperties
			ev.ResourceProperties = map[string]any{"RoleName": "qbusiness-demo-app-role", "Path": "/other/"}
		})
		resp, _ := e.answer(up)
		if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, "cannot have the same RoleName") {
			t.Fatalf("response %+v", resp)
		}
		if resp.PhysicalResourceID != "qbusiness-demo-app-role" {
			t.Errorf("physical id = %q, want the old one", resp.PhysicalResourceID)
		}
		if len(e.rec.Writes()) > 0 {
			t.Errorf("IAM writes %v, want none", e.rec.Writes())
		}
	})
	t.Run("RoleType to ServiceLinkedRole", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		res := e.mustHandle(loadEvent(t, "update-application-role.json", func(ev *cfn.Event) {
			ev.ResourceProperties = map[string]any{"RoleType": "ServiceLinkedRole"}
		}))
		if res.Outcome != roles.Created || aws.ToString(e.role(res.PhysicalResourceID).Path) != schema.ServiceLinkedRolePath {
			t.Errorf("result %+v", res)
		}
		if !e.exists("qbusiness-demo-app-role") {
			t.Error("old role must stay until CloudFormation deletes it")
		}
	})
	t.Run("new name taken by a foreign role fails, nothing created", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		e.mustHandle(loadEvent(t, "update-application-role.json", nil))
		foreign(t, e, "qbusiness-demo-app-role-v2")
		resp, _ := e.answer(loadEvent(t, "update-replace-application-role.json", nil))
		if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, "not managed by this stack") || resp.PhysicalResourceID != "qbusiness-demo-app-role" {
			t.Errorf("response %+v", resp)
		}
		if w := e.rec.Writes(); !slices.Equal(w, []string{"CreateRole"}) {
			t.Errorf("writes = %v, want only the refused CreateRole", w)
		}
	})
}

// managedPolicy creates a customer managed policy (moto holds no AWS managed
// policies after a reset) and returns its ARN.
func managedPolicy(t *testing.T, e *env) *string {
	t.Helper()
	out, err := e.iam.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String("hand-made"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Policy.Arn
}

func foreign(t *testing.T, e *env, name string) {
	t.Helper()
	if err := rolestest.CreateForeign(context.Background(), e.iam, name); err != nil {
		t.Fatal(err)
	}
}

// 5. Delete.
func TestDeleteApplicationRole(t *testing.T) {
	ctx := context.Background()
	t.Run("clears inline and managed policies and instance profiles", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		name := aws.String("qbusiness-demo-app-role")
		if _, err := e.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: managedPolicy(t, e)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip"), RoleName: name}); err != nil {
			t.Fatal(err)
		}
		res := e.mustHandle(loadEvent(t, "delete-application-role.json", func(ev *cfn.Event) {
			ev.PhysicalResourceID = *name
			ev.ResourceProperties = loadEvent(t, "create-application-role.json", nil).ResourceProperties
		}))
		if res.Outcome != roles.Deleted || e.exists(*name) {
			t.Errorf("result %+v, exists %v", res, e.exists(*name))
		}
		ip, err := e.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ip")})
		if err != nil || len(ip.InstanceProfile.Roles) != 0 {
			t.Errorf("instance profile %v, %v; want it kept, without the role", ip, err)
		}
	})
	t.Run("usual delete stays within budget", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		e.mustHandle(loadEvent(t, "delete-application-role.json", func(ev *cfn.Event) { ev.PhysicalResourceID = "qbusiness-demo-app-role" }))
		if got := e.rec.Actions(); len(got) > 5 || e.exists("qbusiness-demo-app-role") {
			t.Errorf("calls %v (budget 5)", got)
		}
	})
	t.Run("already gone counts as done", func(t *testing.T) {
		e := newEnv(t)
		res := e.mustHandle(loadEvent(t, "delete-application-role.json", nil))
		if res.Outcome != roles.Deleted {
			t.Errorf("outcome = %s", res.Outcome)
		}
	})
	t.Run("a role that is not ours is left untouched", func(t *testing.T) {
		e := newEnv(t)
		foreign(t, e, "qbusiness-demo-app-role-v2")
		res := e.mustHandle(loadEvent(t, "delete-application-role.json", nil))
		if res.Outcome != roles.Skipped || len(e.rec.Writes()) > 0 || e.inline("qbusiness-demo-app-role-v2", "theirs") == "" {
			t.Errorf("result %+v, writes %v", res, e.rec.Writes())
		}
	})
	t.Run("a role of another logical resource of the stack is left untouched", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		res := e.mustHandle(loadEvent(t, "delete-application-role.json", func(ev *cfn.Event) {
			ev.PhysicalResourceID, ev.LogicalResourceID = "qbusiness-demo-app-role", "SomeoneElse"
		}))
		if res.Outcome != roles.Skipped || !e.exists("qbusiness-demo-app-role") {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("the failed-create marker and made-up ids touch nothing", func(t *testing.T) {
		e := newEnv(t)
		for _, id := range []string{roles.FailedCreateID("x"), "2026/11/26/[$LATEST]abcdef0123456789"} {
			res := e.mustHandle(loadEvent(t, "delete-application-role.json", func(ev *cfn.Event) { ev.PhysicalResourceID = id }))
			if res.Outcome != roles.Skipped || len(e.rec.Actions()) > 0 {
				t.Errorf("%s: result %+v, calls %v", id, res, e.rec.Actions())
			}
		}
	})
	t.Run("OnDelete Retain keeps the role", func(t *testing.T) {
		e := newEnv(t)
		retain := func(ev *cfn.Event) { ev.ResourceProperties["OnDelete"] = "Retain" }
		e.mustHandle(loadEvent(t, "create-application-role.json", retain))
		res := e.mustHandle(loadEvent(t, "delete-application-role.json", func(ev *cfn.Event) {
			ev.PhysicalResourceID = "qbusiness-demo-app-role"
			retain(ev)
		}))
		if res.Outcome != roles.Retained || !e.exists("qbusiness-demo-app-role") || len(e.rec.Writes()) > 0 {
			t.Errorf("result %+v, writes %v", res, e.rec.Writes())
		}
	})
}

// 6. Create over a role that is not ours.
func TestCreateWhenForeignRoleExists(t *testing.T) {
	e := newEnv(t)
	foreign(t, e, "qbusiness-demo-app-role")
	before := e.role("qbusiness-demo-app-role")
	resp, _ := e.answer(loadEvent(t, "create-application-role.json", nil))
	if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, "exists and is not managed by this stack") {
		t.Fatalf("response %+v", resp)
	}
	if roles.ParsePhysicalID(resp.PhysicalResourceID).Kind != roles.IDFailedCreate {
		t.Errorf("physical id %q: the rollback's Delete must not name the foreign role", resp.PhysicalResourceID)
	}
	if w := e.rec.Writes(); !slices.Equal(w, []string{"CreateRole"}) {
		t.Errorf("writes = %v, want only the refused CreateRole", w)
	}
	after := e.role("qbusiness-demo-app-role")
	if aws.ToString(after.AssumeRolePolicyDocument) != aws.ToString(before.AssumeRolePolicyDocument) || len(after.Tags) != 1 ||
		e.inline("qbusiness-demo-app-role", "theirs") == "" {
		t.Error("foreign role changed")
	}
}

// 7. The same event twice.
func TestDuplicateDelivery(t *testing.T) {
	for _, file := range []string{"create-application-role.json", "create-service-linked-role.json"} {
		t.Run(file, func(t *testing.T) {
			e := newEnv(t)
			ev := loadEvent(t, file, nil)
			if file == "create-application-role.json" {
				delete(ev.ResourceProperties, "RoleName") // generated names must repeat too
			}
			first := e.mustHandle(ev)
			n := e.roleCount()
			second := e.mustHandle(ev)
			if e.roleCount() != n {
				t.Errorf("%d roles after the second delivery, want %d", e.roleCount(), n)
			}
			if fmt.Sprint(first.Attributes()) != fmt.Sprint(second.Attributes()) {
				t.Errorf("data %v then %v", first.Attributes(), second.Attributes())
			}
			if file == "create-application-role.json" && (first.PhysicalResourceID != second.PhysicalResourceID || len(e.rec.Writes()) > 1) {
				t.Errorf("physical ids %q and %q, second writes %v", first.PhysicalResourceID, second.PhysicalResourceID, e.rec.Writes())
			}
		})
	}
	t.Run("delete twice", func(t *testing.T) {
		e := newEnv(t)
		e.mustHandle(loadEvent(t, "create-application-role.json", nil))
		del := loadEvent(t, "delete-application-role.json", func(ev *cfn.Event) { ev.PhysicalResourceID = "qbusiness-demo-app-role" })
		e.mustHandle(del)
		if res := e.mustHandle(del); res.Outcome != roles.Deleted {
			t.Errorf("second delete: %+v", res)
		}
	})
}

// 8. Bad input: FAILED naming the property, and no IAM call at all.
func TestInvalidEventMakesNoIAMCall(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.answer(loadEvent(t, "invalid-application-role.json", nil))
	if resp.Status != cfn.StatusFailed {
		t.Fatalf("response %+v, want FAILED", resp)
	}
	for _, p := range []string{"RoleName", "MaxSessionDuration", "ApplicationID", "Tags[0].Key"} {
		if !strings.Contains(resp.Reason, p+":") {
			t.Errorf("reason %q does not name %s", resp.Reason, p)
		}
	}
	if len(e.rec.Actions()) > 0 || e.roleCount() != 0 {
		t.Errorf("calls %v, roles %d", e.rec.Actions(), e.roleCount())
	}
	if roles.ParsePhysicalID(resp.PhysicalResourceID).Kind != roles.IDFailedCreate {
		t.Errorf("physical id = %q", resp.PhysicalResourceID)
	}
}

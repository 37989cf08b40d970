//go:build integration

package iamauthz_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"qbusiness.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

var allowAll = []iamauthz.Policy{{Name: "all", Document: map[string]any{"Version": "2012-10-17",
	"Statement": []any{map[string]any{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}}}}}

// Each IAM request becomes the checks IAM makes for it: action, resource ARN
// (with the role's path, and IAM's name for the service-linked role) and the
// request context.
func TestProxyDerivesTheRequestContext(t *testing.T) {
	ctx := context.Background()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	p, err := authz.NewProxy(moto, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	in, out := iamauthz.Client(moto, p.Inside), iamauthz.Client(moto, p.Outside)
	role := func(path, name string) string { return "arn:aws:iam::123456789012:role" + path + name }
	last := func(n int) []iamauthz.Decision { d := p.Decisions(); return d[len(d)-n:] }
	tags := []types.Tag{{Key: aws.String("qbrole:stack-id"), Value: aws.String("s")}, {Key: aws.String("Team"), Value: aws.String("a")}}

	cases := []struct {
		name    string
		call    func(c *iam.Client) error
		client  *iam.Client
		checks  int
		action  string
		res     string
		context map[string]any
	}{
		{"create with tags is also TagRole, and the tags are the resource's", func(c *iam.Client) error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("/service-role/"),
				AssumeRolePolicyDocument: aws.String(trust), Tags: tags, PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})
			return err
		}, in, 2, "iam:CreateRole", role("/service-role/", "r"), map[string]any{
			"aws:RequestTag/qbrole:stack-id": "s", "aws:RequestTag/Team": "a", "aws:TagKeys": []any{"qbrole:stack-id", "Team"},
			"aws:ResourceTag/qbrole:stack-id": "s", "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
			"lambda:SourceFunctionArn": authz.Function.ARN}},
		{"tag: the role's tags and the request's", func(c *iam.Client) error {
			_, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("r"), Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("1")}}})
			return err
		}, in, 1, "iam:TagRole", role("/service-role/", "r"), map[string]any{
			"iam:ResourceTag/qbrole:stack-id": "s", "aws:ResourceTag/Team": "a", "aws:RequestTag/x": "1", "aws:TagKeys": []any{"x"}}},
		{"untag: the keys", func(c *iam.Client) error {
			_, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("r"), TagKeys: []string{"x", "QBROLE:STACK-ID"}})
			return err
		}, in, 1, "iam:UntagRole", role("/service-role/", "r"), map[string]any{"aws:TagKeys": []any{"x", "QBROLE:STACK-ID"}}},
		{"from outside: no source function", func(c *iam.Client) error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
			return err
		}, out, 1, "iam:GetRole", role("/service-role/", "r"), map[string]any{"lambda:SourceFunctionArn": nil}},
		{"a role that does not exist has no tags", func(c *iam.Client) error {
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("gone")})
			return err
		}, in, 1, "iam:DeleteRole", role("/", "gone"), map[string]any{"iam:ResourceTag/qbrole:stack-id": nil}},
		{"list roles: no resource", func(c *iam.Client) error {
			_, err := c.ListRoles(ctx, &iam.ListRolesInput{})
			return err
		}, in, 1, "iam:ListRoles", "*", nil},
		{"service-linked role: IAM's name, the service", func(c *iam.Client) error {
			_, err := c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("qbusiness.amazonaws.com")})
			return err
		}, in, 1, "iam:CreateServiceLinkedRole", role("/aws-service-role/qbusiness.amazonaws.com/", "AWSServiceRoleForQBusiness"),
			map[string]any{"iam:AWSServiceName": "qbusiness.amazonaws.com"}},
		{"deletion status: the task's role", func(c *iam.Client) error {
			roles, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/qbusiness.amazonaws.com/")})
			if err != nil || len(roles.Roles) != 1 {
				return errors.Join(err, errors.New("no service-linked role"))
			}
			task, err := c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: roles.Roles[0].RoleName})
			if err != nil {
				return err
			}
			_, err = c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: task.DeletionTaskId})
			return err
		}, in, 1, "iam:GetServiceLinkedRoleDeletionStatus", role("/aws-service-role/qbusiness.amazonaws.com/", "AWSServiceRoleForQBusiness"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(c.client); err != nil && !strings.Contains(err.Error(), "NoSuchEntity") {
				t.Fatal(err)
			}
			got := last(c.checks)
			if got[0].Action != c.action || got[0].Resource != c.res {
				t.Errorf("check %s on %s, want %s on %s", got[0].Action, got[0].Resource, c.action, c.res)
			}
			if c.checks == 2 && (got[1].Action != "iam:TagRole" || got[1].Resource != c.res) {
				t.Errorf("second check %s on %s", got[1].Action, got[1].Resource)
			}
			for k, want := range c.context {
				v, ok := got[0].Context[k]
				switch {
				case want == nil && ok:
					t.Errorf("context has %s = %v", k, v)
				case want != nil && !ok:
					t.Errorf("context lacks %s: %v", k, got[0].Context)
				case want != nil && !sameValue(v, want):
					t.Errorf("context %s = %v, want %v", k, v, want)
				}
			}
		})
	}
}

func sameValue(got, want any) bool {
	w, ok := want.([]any)
	if !ok {
		return got == want
	}
	g, _ := got.([]string)
	var ws []string
	for _, e := range w {
		ws = append(ws, e.(string))
	}
	return slices.Equal(g, ws)
}

// A denied call answers IAM's AccessDenied, naming principal, action and
// resource, and never reaches moto; an unknown key is refused.
func TestProxyDeniesAsIAMDoes(t *testing.T) {
	ctx := context.Background()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	p := authz.Proxy(moto) // template.yaml's policy
	_, err := iamauthz.Client(moto, p.Outside).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" ||
		!strings.Contains(ae.ErrorMessage(), "is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/r with an explicit deny") {
		t.Errorf("error = %v", err)
	}
	if _, err := moto.IAM("testing", "testing").GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err == nil {
		t.Error("a denied CreateRole reached moto")
	}
	_, err = moto.IAM("someone-else", "x", func(o *iam.Options) { o.BaseEndpoint = aws.String(p.Inside) }).ListRoles(ctx, &iam.ListRolesInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := iamauthz.Client(moto, p.Inside).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Errorf("the function's own call from inside: %v", err)
	}
}

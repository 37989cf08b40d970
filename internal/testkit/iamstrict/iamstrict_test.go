//go:build integration

package iamstrict_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/qbrole/qbrole/internal/testkit/iamstrict"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

var moto *motoserver.Server

func TestMain(m *testing.M) { motoserver.RunTests(m, &moto) }

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"qbusiness.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// setup resets moto and starts a layer; subject calls through it as the
// function, admin as anyone else.
func setup(t *testing.T, opts iamstrict.Options) (subject, admin *iam.Client, l *iamstrict.Layer) {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	opts.Subjects = []string{"FUNCTION"}
	l, err := iamstrict.Start(moto.URL, moto.IAM("testing", "testing"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	at := func(o *iam.Options) { o.BaseEndpoint = aws.String(l.URL) }
	return moto.IAM("FUNCTION", "x", at), moto.IAM("testing", "testing", at), l
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func tagsOf(t *testing.T, c *iam.Client, role string) map[string]string {
	t.Helper()
	out, err := c.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, tag := range out.Role.Tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func TestTagKeysAreCaseInsensitive(t *testing.T) {
	ctx := context.Background()
	_, admin, l := setup(t, iamstrict.Options{})
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []types.Tag{tag("Team", "a"), tag("Owner", "x")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("r"), Tags: []types.Tag{tag("team", "b")}}); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(t, admin, "r"); len(got) != 2 || got["team"] != "b" {
		t.Errorf("after TagRole team=b: %v, want one tag team=b (it replaces Team)", got)
	}
	if _, err := admin.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("r"), TagKeys: []string{"OWNER"}}); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(t, admin, "r"); len(got) != 1 {
		t.Errorf("after UntagRole OWNER: %v, want Owner gone", got)
	}
	_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("dup"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []types.Tag{tag("Team", "a"), tag("team", "b")}})
	if code(err) != "InvalidInput" {
		t.Errorf("duplicate keys in another case: %v", err)
	}
	if l.Applied()[iamstrict.TagCase] != 2 || l.Applied()[iamstrict.DuplicateTag] != 1 {
		t.Errorf("applied %v", l.Applied())
	}
}

func TestAWSPrefixIsRefusedInKeysAndValues(t *testing.T) {
	ctx := context.Background()
	_, admin, _ := setup(t, iamstrict.Options{})
	for _, tg := range []types.Tag{tag("aws:x", "v"), tag("k", "aws:v"), tag("k", "AWS:v")} {
		_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust), Tags: []types.Tag{tg}})
		if code(err) != "InvalidInput" {
			t.Errorf("%s=%s: %v", aws.ToString(tg.Key), aws.ToString(tg.Value), err)
		}
	}
}

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestRoleNamesAreUniqueRegardlessOfCase(t *testing.T) {
	ctx := context.Background()
	subject, admin, l := setup(t, iamstrict.Options{})
	create := func(c *iam.Client, name string) error {
		_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		return err
	}
	if err := create(admin, "qbizrole"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who    string
		caller *iam.Client
		name   string
	}{{"admin", admin, "QBizRole"}, {"the function", subject, "QBIZROLE"}} {
		if err := create(c.caller, c.name); code(err) != "EntityAlreadyExists" || status(err) != 409 {
			t.Errorf("CreateRole %s by %s while qbizrole exists: %v, want EntityAlreadyExists (HTTP 409)", c.name, c.who, err)
		}
	}
	if err := create(admin, "qbizrole"); code(err) != "EntityAlreadyExists" {
		t.Errorf("CreateRole qbizrole again: %v, want moto's EntityAlreadyExists", err)
	}
	if err := create(admin, "QBizRoleB"); err != nil {
		t.Errorf("CreateRole of another name: %v", err)
	}
	// Not documented by AWS, so moto's answer stands: no role under another spelling.
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("QBizRole")}); code(err) != "NoSuchEntity" {
		t.Errorf("GetRole QBizRole: %v, want NoSuchEntity", err)
	}
	out, err := moto.IAM("testing", "testing").ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range out.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"QBizRoleB", "qbizrole"}) {
		t.Errorf("moto holds %v, want [QBizRoleB qbizrole]", names)
	}
	if got := l.Applied()[iamstrict.RoleNameCase]; got != 2 {
		t.Errorf("applied %v, want %q ×2", l.Applied(), iamstrict.RoleNameCase)
	}
}

func TestServiceLinkedRoleAsIAMNamesIt(t *testing.T) {
	ctx := context.Background()
	_, admin, _ := setup(t, iamstrict.Options{})
	out, err := admin.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("qbusiness.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	if name := aws.ToString(out.Role.RoleName); name != "AWSServiceRoleForQBusiness" || !strings.HasSuffix(aws.ToString(out.Role.Arn), "/AWSServiceRoleForQBusiness") {
		t.Errorf("role %s %s", name, aws.ToString(out.Role.Arn))
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForQBusiness")}); err != nil {
		t.Errorf("GetRole by IAM's name: %v", err)
	}
	_, err = admin.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("qbusiness.amazonaws.com")})
	if code(err) != "InvalidInput" || !strings.Contains(err.Error(), "has been taken") {
		t.Errorf("second create: %v", err)
	}
}

func TestNewRoleIsNotVisibleAtOnceToTheSubject(t *testing.T) {
	ctx := context.Background()
	subject, admin, _ := setup(t, iamstrict.Options{NotVisible: 2, ARNLag: 1})
	if _, err := subject.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err != nil {
		t.Errorf("others see IAM's state: %v", err)
	}
	if _, err := subject.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); code(err) != "NoSuchEntity" {
		t.Errorf("first GetRole: %v, want NoSuchEntity", err)
	}
	_, err := subject.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if code(err) != "AccessDenied" {
		t.Errorf("write in the window: %v, want AccessDenied", err)
	}
	out, err := subject.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	if err != nil || aws.ToString(out.Role.Arn) != aws.ToString(out.Role.RoleId) {
		t.Errorf("GetRole after the window: %v, Arn %q, want the unique id once", err, aws.ToString(out.Role.Arn))
	}
	out, err = subject.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	if err != nil || !strings.HasPrefix(aws.ToString(out.Role.Arn), "arn:aws:iam::") {
		t.Errorf("then: %v, Arn %q", err, aws.ToString(out.Role.Arn))
	}
}

func TestServiceLinkedRoleInUse(t *testing.T) {
	ctx := context.Background()
	subject, admin, _ := setup(t, iamstrict.Options{SLRInUse: 2})
	if _, err := admin.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("qbusiness.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	var statuses []types.DeletionTaskStatusType
	for range 3 {
		task, err := subject.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForQBusiness")})
		if err != nil {
			t.Fatal(err)
		}
		st, err := subject.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: task.DeletionTaskId})
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, st.Status)
		if st.Status == types.DeletionTaskStatusTypeFailed && (st.Reason == nil || len(st.Reason.RoleUsageList) != 1) {
			t.Errorf("failed task without a usage list: %+v", st.Reason)
		}
	}
	if !slices.Equal(statuses[:2], []types.DeletionTaskStatusType{"FAILED", "FAILED"}) || statuses[2] == "FAILED" {
		t.Errorf("statuses %v", statuses)
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForQBusiness")}); code(err) != "NoSuchEntity" {
		t.Errorf("the third deletion went through: %v", err)
	}
}

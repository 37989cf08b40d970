// Package execrole is the one source of the custom resource function's
// execution-role permissions, as Statement values:
//
//   - Statements: the Allow statements (read roles, create and change only
//     roles that carry the ownership tags, the Q Business service-linked role);
//   - OriginGuard: the Deny of every IAM call not made from inside the function;
//   - VerifyRequests: the two CloudFormation reads that check each request
//     against its stack before any IAM write (internal/cfnverify);
//   - GuardStackReads: the Deny of those reads from outside the function (with
//     both switches on);
//   - All: the whole policy, the origin guard and the reads (each unless its
//     switch is off), the reads' guard and the Allow statements.
//
// Resources and condition values hold placeholders (Partition, Region,
// AccountID, FunctionARN) that a template renders with Fn::Sub; Document
// renders statements as an IAM policy document with Values filled in, and
// Actions lists every IAM action the Allow statements allow. OwnershipTags lists the
// ownership tag keys the statements protect (spelled in internal/schema), and
// the ARN patterns (RoleARNs, InstanceProfileARNs, ServiceLinkedRoleARN) are
// named here too.
//
// The CDK construct (cdk/qbrolecdk) renders All; template.yaml spells the
// policy out, and a test compares it with Document(All(…)). Tests also judge
// both templates' policies with an IAM policy evaluator, and compare Actions
// with the methods of the code's IAM interface (roles.IAM).
//
// It imports nothing but internal/schema: the CDK construct and the tests use
// it, and the Lambda binary does not need it.
package execrole

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/qbrole/qbrole/internal/schema"
)

// Placeholders in resources and condition values. Templates render the pseudo
// parameters with Fn::Sub, and FunctionARN with the provider function's ARN
// (Fn::GetAtt FUNCTION.Arn): the policy is its own resource, not part of the
// role, so that the role does not depend on the function that uses it.
const (
	Partition   = "${AWS::Partition}"
	Region      = "${AWS::Region}"
	AccountID   = "${AWS::AccountId}"
	FunctionARN = "${FunctionArn}"
)

// OwnershipTags are both ownership tag keys, as the code sets them on every
// application role it creates.
var OwnershipTags = []string{schema.TagStackID, schema.TagLogicalID}

// ServiceLinkedRoleARN is the ARN of the Q Business service-linked role; the
// trailing * allows IAM's name, whatever case it takes.
const ServiceLinkedRoleARN = "arn:" + Partition + ":iam::" + AccountID + ":role" + schema.ServiceLinkedRolePath + schema.ServiceLinkedRoleName + "*"

// RoleARNs is every role of the account; the ownership conditions narrow the
// writes to roles this resource created.
const RoleARNs = "arn:" + Partition + ":iam::" + AccountID + ":role/*"

// InstanceProfileARNs is every instance profile of the account.
const InstanceProfileARNs = "arn:" + Partition + ":iam::" + AccountID + ":instance-profile/*"

// stackARNs is what an ownership tag's value must look like: a CloudFormation
// stack of this account.
const stackARNs = "arn:" + Partition + ":cloudformation:*:" + AccountID + ":stack/*"

// Effects of a statement.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Statement is one statement of the execution role's policy.
type Statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []string
	// Conditions maps operator → key → values, with placeholders.
	Conditions map[string]map[string][]string
}

// IAM policy variables: IAM fills them from the request (IAM User Guide,
// "IAM policy elements: Variables and tags": global condition keys can be used
// as variables,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
// Templates must not read them as Fn::Sub variables.
func requestTag(key string) string { return "${aws:RequestTag/" + key + "}" }

// Statements returns the execution role's Allow statements.
//
// Sources:
//   - Service Authorization Reference, "Actions, resources, and condition keys
//     for AWS Identity and Access Management (IAM)",
//     https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html:
//     CreateRole and TagRole take aws:RequestTag and aws:TagKeys; the role
//     resource carries iam:ResourceTag and aws:ResourceTag;
//     RemoveRoleFromInstanceProfile is authorized on the instance profile;
//     ListRoles has no resource type.
//   - IAM User Guide, "AWS global condition context keys", aws:ResourceTag,
//     "Availability",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html:
//     aws:ResourceTag is also in the context of a request that creates a
//     resource with tags.
//   - IAM User Guide, "Tagging IAM resources",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html: tag keys
//     are compared case-insensitively, so only the …IgnoreCase operators can
//     keep the ownership keys out of a request.
//   - Creating a role with tags is also authorized as iam:TagRole: observed,
//     not stated by AWS in so many words (CloudFormation reports "Did not have
//     IAM permissions to process tags on AWS::IAM::Role resource" to a caller
//     without iam:TagRole); IAM User Guide, "Tag IAM roles",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_roles.html,
//     names iam:TagRole as the permission that tags a role.
func Statements() []Statement {
	return slices.Concat(readStatements(), ownedRoleStatements(), serviceLinkedRoleStatements())
}

func readStatements() []Statement {
	return []Statement{
		{
			Sid:       "ReadRoles",
			Actions:   []string{"iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies"},
			Resources: []string{RoleARNs},
		},
		{
			// ListRoles has no resource type; the code lists the service-linked role's path, and all roles once when CreateRole says a name is taken that GetRole does not show (another letter case).
			Sid:       "FindServiceLinkedRole",
			Actions:   []string{"iam:ListRoles"},
			Resources: []string{"*"},
		},
	}
}

// ownedRoleStatements allow the writes on application roles: creating roles
// with the ownership tags, and changing only roles that carry them.
func ownedRoleStatements() []Statement {
	ownedRole := map[string][]string{"iam:ResourceTag/" + schema.TagStackID: {stackARNs}}
	return []Statement{
		{
			// Every role it creates carries both ownership tags, naming a stack of this account.
			// TagRole is here because creating a role with tags is also authorized as TagRole.
			// A role that already carries ownership tags keeps them: the request's must equal
			// them (an ownership move is denied). On a create, IAM puts the request's tags in
			// aws:ResourceTag, so they are equal; a role without them has none (…IfExists).
			Sid:       "CreateOwnedRoles",
			Actions:   []string{"iam:CreateRole", "iam:TagRole"},
			Resources: []string{RoleARNs},
			Conditions: map[string]map[string][]string{
				"Null":       {"aws:RequestTag/" + schema.TagStackID: {"false"}, "aws:RequestTag/" + schema.TagLogicalID: {"false"}},
				"StringLike": {"aws:RequestTag/" + schema.TagStackID: {stackARNs}},
				"StringEqualsIfExists": {
					"aws:ResourceTag/" + schema.TagStackID:   {requestTag(schema.TagStackID)},
					"aws:ResourceTag/" + schema.TagLogicalID: {requestTag(schema.TagLogicalID)},
				},
			},
		},
		{
			// Writes on existing roles only where the role carries the ownership tag.
			Sid: "ChangeOwnedRoles",
			Actions: []string{"iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
				"iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole"},
			Resources:  []string{RoleARNs},
			Conditions: map[string]map[string][]string{"StringLike": ownedRole},
		},
		{
			// The user's tags on owned roles change; the ownership tags never do, in any
			// letter case (IAM tag keys are case-insensitive).
			Sid:       "RetagOwnedRoles",
			Actions:   []string{"iam:TagRole", "iam:UntagRole"},
			Resources: []string{RoleARNs},
			Conditions: map[string]map[string][]string{
				"StringLike":                             ownedRole,
				"Null":                                   {"aws:TagKeys": {"false"}},
				"ForAllValues:StringNotEqualsIgnoreCase": {"aws:TagKeys": OwnershipTags},
			},
		},
		{
			// The resource on RemoveRoleFromInstanceProfile is the instance profile, which does
			// not carry the role's tags; the code calls it only for roles it owns.
			Sid:       "ClearInstanceProfiles",
			Actions:   []string{"iam:RemoveRoleFromInstanceProfile"},
			Resources: []string{InstanceProfileARNs},
		},
	}
}

func serviceLinkedRoleStatements() []Statement {
	return []Statement{
		{
			Sid:       "CreateQBusinessServiceLinkedRole",
			Actions:   []string{"iam:CreateServiceLinkedRole"},
			Resources: []string{ServiceLinkedRoleARN},
			Conditions: map[string]map[string][]string{
				"StringEquals": {"iam:AWSServiceName": {schema.ServicePrincipal}},
			},
		},
		{
			Sid:       "ManageQBusinessServiceLinkedRole",
			Actions:   []string{"iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus", "iam:UpdateRole"},
			Resources: []string{ServiceLinkedRoleARN},
		},
	}
}

// OriginGuard is the statement that denies every IAM call not made from
// inside the provider function. Lambda puts lambda:SourceFunctionArn into the
// request context of the AWS calls made from the function's execution
// environment, and not into calls made with the same credentials elsewhere
// (Lambda Developer Guide, "Using source function ARN to control function
// access behavior",
// https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html;
// use it with ARN operators in identity policies). A negated operator is true
// where the key is missing (IAM User Guide, "IAM JSON policy elements:
// Condition operators",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
// so credentials copied out of the function are denied.
// Both the unqualified ARN and its qualified forms (version, alias) match.
// As a Deny it also overrides any Allow later attached to the role.
func OriginGuard() Statement {
	return Statement{
		Sid:        "DenyOutsideTheFunction",
		Effect:     Deny,
		Actions:    []string{"iam:*"},
		Resources:  []string{"*"},
		Conditions: outsideTheFunction(),
	}
}

// outsideTheFunction is the condition of the Deny statements that only the
// function's own calls escape (OriginGuard, GuardStackReads): the request
// context lacks lambda:SourceFunctionArn, or names another function. A new map
// each call, so that no statement shares it with another.
func outsideTheFunction() map[string]map[string][]string {
	return map[string]map[string][]string{
		"ArnNotLike": {"lambda:SourceFunctionArn": {FunctionARN, FunctionARN + ":*"}},
	}
}

// Switches say which of the statements a deployment may turn off are on. The
// templates turn each on unless their parameter or context value is "false";
// the zero value has both off, so a caller names what it wants.
type Switches struct {
	// OriginGuard adds OriginGuard; off only for a partition where Lambda does
	// not supply lambda:SourceFunctionArn.
	OriginGuard bool
	// VerifyRequests adds VerifyRequests; off only where the function's
	// requests are not checked against CloudFormation (local tools).
	VerifyRequests bool
}

// All is the whole policy: the origin guard first, the Allow statements, then
// the CloudFormation reads and, when the origin guard is on too, their guard
// (GuardStackReads); each switched statement only when on. Turning a switch
// off removes its statements and changes nothing else.
func All(on Switches) []Statement {
	var out []Statement
	if on.OriginGuard {
		out = append(out, OriginGuard())
	}
	out = append(out, Statements()...)
	if on.VerifyRequests {
		out = append(out, VerifyRequests())
		if on.OriginGuard {
			out = append(out, GuardStackReads())
		}
	}
	return out
}

// Actions returns every IAM action the Allow statements allow, sorted, once
// each (the CloudFormation reads of VerifyRequests are not among them: they
// are no call of the code's IAM interface).
func Actions() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range Statements() {
		for _, a := range s.Actions {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Values fill the placeholders.
type Values struct {
	Partition, Region, AccountID, FunctionARN string
}

// Fill replaces the placeholders in s.
func (v Values) Fill(s string) string {
	return strings.NewReplacer(Partition, v.Partition, Region, v.Region, AccountID, v.AccountID, FunctionARN, v.FunctionARN).Replace(s)
}

// Document renders statements as an IAM policy document with the placeholders
// filled, in IAM's JSON form.
func Document(statements []Statement, v Values) map[string]any {
	out := make([]any, 0, len(statements))
	for _, s := range statements {
		st := map[string]any{"Sid": s.Sid, "Effect": s.effect(), "Action": strs(s.Actions, nil), "Resource": strs(s.Resources, v.Fill)}
		if len(s.Conditions) > 0 {
			cond := map[string]any{}
			for _, op := range slices.Sorted(maps.Keys(s.Conditions)) {
				m := map[string]any{}
				for k, vs := range s.Conditions[op] {
					m[k] = strs(vs, v.Fill)
				}
				cond[op] = m
			}
			st["Condition"] = cond
		}
		out = append(out, st)
	}
	return map[string]any{"Version": "2012-10-17", "Statement": out}
}

func (s Statement) effect() string {
	if s.Effect == "" {
		return Allow
	}
	return s.Effect
}

// IsDeny tells a Deny statement.
func (s Statement) IsDeny() bool { return s.effect() == Deny }

func strs(ss []string, f func(string) string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		if f != nil {
			s = f(s)
		}
		out[i] = s
	}
	return out
}

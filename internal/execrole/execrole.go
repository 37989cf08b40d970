// Package execrole is the one source of the custom resource function's
// execution-role permissions. The SAM template (checked by a test), the CDK
// construct (which builds its policy from here) and the code (whose IAM
// interface a test compares with Actions) all agree with it.
//
// It imports nothing heavy: the Lambda binary and the CDK app both use it.
package execrole

import (
	"sort"
	"strings"
)

// Pseudo parameters in resources and condition values; templates render them
// with Fn::Sub.
const (
	Partition = "${AWS::Partition}"
	AccountID = "${AWS::AccountId}"
)

// Ownership tag keys, as the code sets them on every application role it creates.
const (
	TagStackID   = "qbrole:stack-id"
	TagLogicalID = "qbrole:logical-resource-id"
)

// ServiceLinkedRoleARN is the ARN of the Q Business service-linked role; the
// trailing * allows IAM's name, whatever case it takes.
const ServiceLinkedRoleARN = "arn:" + Partition + ":iam::" + AccountID + ":role/aws-service-role/qbusiness.amazonaws.com/AWSServiceRoleForQBusiness*"

// RoleARNs is every role of the account; the ownership conditions narrow the
// writes to roles this resource created.
const RoleARNs = "arn:" + Partition + ":iam::" + AccountID + ":role/*"

// InstanceProfileARNs is every instance profile of the account.
const InstanceProfileARNs = "arn:" + Partition + ":iam::" + AccountID + ":instance-profile/*"

// stackARNs is what an ownership tag's value must look like: a CloudFormation
// stack of this account.
const stackARNs = "arn:" + Partition + ":cloudformation:*:" + AccountID + ":stack/*"

// Statement is one Allow statement of the execution role's policy.
type Statement struct {
	Sid       string
	Actions   []string
	Resources []string
	// Conditions maps operator → key → values, with pseudo parameters.
	Conditions map[string]map[string][]string
}

// Statements returns the execution role's IAM statements.
func Statements() []Statement {
	return []Statement{
		{
			Sid:       "ReadRoles",
			Actions:   []string{"iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies"},
			Resources: []string{RoleARNs},
		},
		{
			// ListRoles has no resource type; the code lists only the service-linked role's path.
			Sid:       "FindServiceLinkedRole",
			Actions:   []string{"iam:ListRoles"},
			Resources: []string{"*"},
		},
		{
			// Every role it creates carries both ownership tags, naming a stack of this account.
			Sid:       "CreateOwnedRoles",
			Actions:   []string{"iam:CreateRole", "iam:TagRole"},
			Resources: []string{RoleARNs},
			Conditions: map[string]map[string][]string{
				"Null":       {"aws:RequestTag/" + TagStackID: {"false"}, "aws:RequestTag/" + TagLogicalID: {"false"}},
				"StringLike": {"aws:RequestTag/" + TagStackID: {stackARNs}},
			},
		},
		{
			// Writes on existing roles only where the role carries the ownership tag.
			Sid: "ChangeOwnedRoles",
			Actions: []string{"iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
				"iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:TagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole"},
			Resources: []string{RoleARNs},
			Conditions: map[string]map[string][]string{
				"StringLike": {"iam:ResourceTag/" + TagStackID: {stackARNs}},
			},
		},
		{
			// Tags may be removed from owned roles, but never the ownership tags.
			Sid:       "UntagOwnedRoles",
			Actions:   []string{"iam:UntagRole"},
			Resources: []string{RoleARNs},
			Conditions: map[string]map[string][]string{
				"StringLike":                 {"iam:ResourceTag/" + TagStackID: {stackARNs}},
				"ForAllValues:StringNotLike": {"aws:TagKeys": {"qbrole:*"}},
			},
		},
		{
			// The resource on RemoveRoleFromInstanceProfile is the instance profile, which does
			// not carry the role's tags; the code calls it only for roles it owns.
			Sid:       "ClearInstanceProfiles",
			Actions:   []string{"iam:RemoveRoleFromInstanceProfile"},
			Resources: []string{InstanceProfileARNs},
		},
		{
			Sid:       "CreateQBusinessServiceLinkedRole",
			Actions:   []string{"iam:CreateServiceLinkedRole"},
			Resources: []string{ServiceLinkedRoleARN},
			Conditions: map[string]map[string][]string{
				"StringEquals": {"iam:AWSServiceName": {"qbusiness.amazonaws.com"}},
			},
		},
		{
			Sid:       "ManageQBusinessServiceLinkedRole",
			Actions:   []string{"iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus", "iam:UpdateRole"},
			Resources: []string{ServiceLinkedRoleARN},
		},
	}
}

// Actions returns every IAM action the statements allow, sorted, once each.
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

// Document renders the statements as IAM policy statements in CloudFormation's
// JSON form: strings holding a pseudo parameter become {"Fn::Sub": …}.
func Document() []map[string]any {
	out := make([]map[string]any, 0, len(Statements()))
	for _, s := range Statements() {
		st := map[string]any{"Sid": s.Sid, "Effect": "Allow", "Action": toAny(s.Actions), "Resource": subAll(s.Resources)}
		if len(s.Conditions) > 0 {
			cond := map[string]any{}
			for op, kv := range s.Conditions {
				m := map[string]any{}
				for k, vs := range kv {
					m[k] = subAll(vs)
				}
				cond[op] = m
			}
			st["Condition"] = cond
		}
		out = append(out, st)
	}
	return out
}

// Sub wraps a string in Fn::Sub when it holds a pseudo parameter.
func Sub(s string) any {
	if strings.Contains(s, "${") {
		return map[string]any{"Fn::Sub": s}
	}
	return s
}

func subAll(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = Sub(s)
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

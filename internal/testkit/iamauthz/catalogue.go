package iamauthz

import (
	"fmt"
	"maps"
	"strings"
	"unicode"

	"github.com/qbrole/qbrole/internal/schema"
)

// Origin is where a call with the function's credentials comes from.
type Origin string

// Origins.
const (
	// Inside is the function's execution environment: Lambda adds
	// lambda:SourceFunctionArn, the unqualified function ARN.
	Inside Origin = "inside the function"
	// InsideQualified is the same through a version or alias.
	InsideQualified Origin = "inside the function (version 7)"
	// Outside is the credentials used anywhere else: no lambda:SourceFunctionArn.
	Outside Origin = "outside the function"
	// OtherFunction is another function of the account with the same role.
	OtherFunction Origin = "another function"
)

// origins is every origin, the function's own first.
var origins = []Origin{Inside, InsideQualified, Outside, OtherFunction}

// fromFunction tells the origins inside the function, under any of its ARNs.
func (o Origin) fromFunction() bool { return o == Inside || o == InsideQualified }

// context is ctx (left unchanged) with the lambda:SourceFunctionArn Lambda
// supplies to a call with fn's credentials from o: fn's ARN from inside it,
// qualified from its version 7, another function's ARN from that function,
// none from outside.
func (o Origin) context(fn Function, ctx map[string]any) map[string]any {
	out := maps.Clone(ctx)
	if out == nil {
		out = map[string]any{}
	}
	switch o {
	case Inside:
		out["lambda:SourceFunctionArn"] = fn.ARN
	case InsideQualified:
		out["lambda:SourceFunctionArn"] = fn.ARN + ":7"
	case OtherFunction:
		out["lambda:SourceFunctionArn"] = fn.ARN[:strings.LastIndex(fn.ARN, ":")+1] + "other-function"
	}
	return out
}

// Case is one request made with the function's credentials and what IAM
// must decide: Allowed, or Denied (implicitly or explicitly).
type Case struct {
	Name   string
	Origin Origin
	Check  Check
	Want   string
}

// Denied is a Case's Want for either kind of denial.
const Denied = "Denied"

// Holds tells whether result is what the case wants.
func (c Case) Holds(result string) bool {
	if c.Want == Denied {
		return result == ImplicitlyDenied || result == ExplicitlyDenied
	}
	return result == c.Want
}

// capitalizeWords upper-cases the first letter of s and every letter after
// ':' or '-'.
func capitalizeWords(s string) string {
	b := []byte(s)
	for i := range b {
		if i == 0 || b[i-1] == ':' || b[i-1] == '-' {
			b[i] = byte(unicode.ToUpper(rune(b[i])))
		}
	}
	return string(b)
}

// Catalogue is every request the tests judge: what the code does (allowed
// from inside the function, under any of its ARNs, and denied from anywhere
// else) and what an attacker holding the function's credentials would try
// (denied from everywhere, but for the one gap IAM cannot close), in the
// deployment's partition and account.
func Catalogue(fn Function, partition, account string) []Case {
	role := func(path string) string { return fmt.Sprintf("arn:%s:iam::%s:role%s", partition, account, path) }
	stack := func(acct, name string) string {
		return fmt.Sprintf("arn:%s:cloudformation:eu-west-1:%s:stack/%s/6f1c2b3a-0d4e-4f50-8a9b-0c1d2e3f4a5b", partition, acct, name)
	}
	ours, theirs, otherAccount := stack(account, "apps"), stack(account, "other-apps"), stack("210987654321", "apps")
	// IAM tag keys are case-insensitive: QBROLE:STACK-ID, Qbrole:Logical-Resource-Id.
	upperStackKey, mixedLogicalKey := strings.ToUpper(schema.TagStackID), capitalizeWords(schema.TagLogicalID)
	var (
		owned     = role("/service-role/qbusiness-app")
		foreign   = role("/Admin")
		slr       = role(schema.ServiceLinkedRolePath + schema.ServiceLinkedRoleName)
		otherSLR  = role("/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk")
		profile   = fmt.Sprintf("arn:%s:iam::%s:instance-profile/app", partition, account)
		ownership = map[string]any{schema.TagStackID: ours, schema.TagLogicalID: "AppRole"}
	)
	// onRole is the context of a call on a role carrying tags.
	onRole := func(tags map[string]any, extra map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range tags {
			c["iam:ResourceTag/"+k] = v
			c["aws:ResourceTag/"+k] = v
		}
		maps.Copy(c, extra)
		return c
	}
	// tagging is the request context of tags in a request.
	tagging := func(tags map[string]any) map[string]any {
		c := map[string]any{}
		var keys []string
		for k, v := range tags {
			c["aws:RequestTag/"+k] = v
			keys = append(keys, k)
		}
		c["aws:TagKeys"] = keys
		return c
	}
	// A create with tags: the request's tags are also the resource's.
	creating := func(tags map[string]any) map[string]any { return onRole(tags, tagging(tags)) }
	untagging := func(keys ...string) map[string]any { return map[string]any{"aws:TagKeys": keys} }
	with := func(a, b map[string]any) map[string]any { c := maps.Clone(a); maps.Copy(c, b); return c }

	type req struct {
		name, action, resource string
		ctx                    map[string]any
	}
	// What the code does.
	legit := []req{
		{"create an owned role", "iam:CreateRole", owned, creating(ownership)},
		{"tag a role it creates (tag-on-create)", "iam:TagRole", owned, creating(ownership)},
		{"create an owned role with the user's tags", "iam:CreateRole", owned, creating(with(ownership, map[string]any{"team": "a"}))},
		{"read a role", "iam:GetRole", owned, onRole(ownership, nil)},
		{"read an inline policy", "iam:GetRolePolicy", owned, onRole(ownership, nil)},
		{"list inline policies", "iam:ListRolePolicies", owned, onRole(ownership, nil)},
		{"list managed policies", "iam:ListAttachedRolePolicies", owned, onRole(ownership, nil)},
		{"list instance profiles", "iam:ListInstanceProfilesForRole", owned, onRole(ownership, nil)},
		{"find the service-linked role", "iam:ListRoles", "*", nil},
		{"write the inline policy", "iam:PutRolePolicy", owned, onRole(ownership, nil)},
		{"delete an inline policy", "iam:DeleteRolePolicy", owned, onRole(ownership, nil)},
		{"update the trust policy", "iam:UpdateAssumeRolePolicy", owned, onRole(ownership, nil)},
		{"update description and session", "iam:UpdateRole", owned, onRole(ownership, nil)},
		{"set the boundary", "iam:PutRolePermissionsBoundary", owned, onRole(ownership, map[string]any{"iam:PermissionsBoundary": fmt.Sprintf("arn:%s:iam::aws:policy/PowerUserAccess", partition)})},
		{"remove the boundary", "iam:DeleteRolePermissionsBoundary", owned, onRole(ownership, nil)},
		{"detach a drifted managed policy", "iam:DetachRolePolicy", owned, onRole(ownership, map[string]any{"iam:PolicyARN": fmt.Sprintf("arn:%s:iam::%s:policy/drift", partition, account)})},
		{"change the user's tags", "iam:TagRole", owned, onRole(ownership, tagging(map[string]any{"team": "b"}))},
		{"remove a user's tag", "iam:UntagRole", owned, onRole(ownership, untagging("team"))},
		{"clear an instance profile", "iam:RemoveRoleFromInstanceProfile", profile, nil},
		{"delete an owned role", "iam:DeleteRole", owned, onRole(ownership, nil)},
		{"create the service-linked role", "iam:CreateServiceLinkedRole", slr, map[string]any{"iam:AWSServiceName": schema.ServicePrincipal}},
		{"describe the service-linked role", "iam:UpdateRole", slr, nil},
		{"delete the service-linked role", "iam:DeleteServiceLinkedRole", slr, nil},
		{"poll its deletion", "iam:GetServiceLinkedRoleDeletionStatus", slr, nil},
	}
	// What an attacker with the credentials would try.
	attacks := []req{
		{"take over a foreign role: its inline policy", "iam:PutRolePolicy", foreign, nil},
		{"take over a foreign role: its trust policy", "iam:UpdateAssumeRolePolicy", foreign, nil},
		{"take over a foreign role: attach a policy", "iam:AttachRolePolicy", foreign, map[string]any{"iam:PolicyARN": fmt.Sprintf("arn:%s:iam::aws:policy/AdministratorAccess", partition)}},
		{"delete a foreign role", "iam:DeleteRole", foreign, map[string]any{"iam:ResourceTag/owner": "platform", "aws:ResourceTag/owner": "platform"}},
		{"strip the ownership tag", "iam:UntagRole", owned, onRole(ownership, untagging(schema.TagStackID))},
		{"strip the ownership tag, upper case", "iam:UntagRole", owned, onRole(ownership, untagging(upperStackKey))},
		{"strip the logical-id tag, mixed case", "iam:UntagRole", owned, onRole(ownership, untagging(mixedLogicalKey))},
		{"strip it among other tags", "iam:UntagRole", owned, onRole(ownership, untagging("team", upperStackKey))},
		{"move a role to another stack", "iam:TagRole", owned, onRole(ownership, tagging(with(ownership, map[string]any{schema.TagStackID: theirs})))},
		{"move a role to another stack, upper-case key", "iam:TagRole", owned, onRole(ownership, tagging(map[string]any{upperStackKey: theirs, schema.TagLogicalID: "AppRole"}))},
		{"move a role to another resource", "iam:TagRole", owned, onRole(ownership, tagging(with(ownership, map[string]any{schema.TagLogicalID: "Other"})))},
		{"rewrite the ownership tag alone", "iam:TagRole", owned, onRole(ownership, tagging(map[string]any{schema.TagStackID: theirs}))},
		{"claim a role of another account's stack", "iam:TagRole", role("/theirs"), onRole(map[string]any{schema.TagStackID: otherAccount, schema.TagLogicalID: "R"}, tagging(ownership))},
		{"write a role owned by another account's stack", "iam:PutRolePolicy", role("/theirs"), onRole(map[string]any{schema.TagStackID: otherAccount}, nil)},
		{"create an untagged role", "iam:CreateRole", role("/escalate"), nil},
		{"create a role for another account's stack", "iam:CreateRole", role("/escalate"), creating(map[string]any{schema.TagStackID: otherAccount, schema.TagLogicalID: "R"})},
		{"create a role with only the stack tag", "iam:CreateRole", role("/escalate"), creating(map[string]any{schema.TagStackID: ours})},
		{"create another service's service-linked role", "iam:CreateServiceLinkedRole", otherSLR, map[string]any{"iam:AWSServiceName": "elasticbeanstalk.amazonaws.com"}},
		{"delete another service-linked role", "iam:DeleteServiceLinkedRole", otherSLR, nil},
		{"rewrite another service-linked role", "iam:UpdateRole", otherSLR, nil},
		{"attach a managed policy to an owned role", "iam:AttachRolePolicy", owned, onRole(ownership, map[string]any{"iam:PolicyARN": fmt.Sprintf("arn:%s:iam::aws:policy/AdministratorAccess", partition)})},
		{"create an IAM user", "iam:CreateUser", fmt.Sprintf("arn:%s:iam::%s:user/backdoor", partition, account), nil},
	}
	// The one gap: tagging a foreign, untagged role with ownership tags cannot
	// be told apart from a tag-on-create; only the code keeps it from happening.
	gap := req{"claim a foreign untagged role (the known gap)", "iam:TagRole", foreign, tagging(ownership)}

	var out []Case
	add := func(r req, o Origin, want string) {
		out = append(out, Case{Name: r.name, Origin: o, Want: want,
			Check: Check{Principal: fn.Principal, Action: r.action, Resource: r.resource, Account: account, Context: o.context(fn, r.ctx)}})
	}
	for _, o := range origins {
		fromFunction := o.fromFunction()
		for _, r := range legit {
			if fromFunction {
				add(r, o, Allowed)
			} else {
				add(r, o, Denied)
			}
		}
		for _, r := range attacks {
			add(r, o, Denied)
		}
		if fromFunction {
			add(gap, o, Allowed)
		} else {
			add(gap, o, Denied)
		}
	}
	return out
}

// Verdict sums up a catalogue judged against one function's policies.
type Verdict struct {
	// Failures describes every case whose decision is not the wanted one.
	Failures []string
	// Counts by origin and decision.
	Counts map[Origin]map[string]int
	// Results are the decisions, case by case.
	Results []string
}

// Judge evaluates every case against fn's policies.
func Judge(e *Evaluator, fn Function, cases []Case) (Verdict, error) {
	v := Verdict{Counts: map[Origin]map[string]int{}}
	for _, c := range cases {
		result, err := e.Evaluate(c.Check, fn.Policies)
		if err != nil {
			return v, fmt.Errorf("%s (%s): %w", c.Name, c.Origin, err)
		}
		if v.Counts[c.Origin] == nil {
			v.Counts[c.Origin] = map[string]int{}
		}
		v.Counts[c.Origin][result]++
		v.Results = append(v.Results, result)
		if !c.Holds(result) {
			v.Failures = append(v.Failures, fmt.Sprintf("%s, %s: %s %s → %s, want %s", c.Origin, c.Name, c.Check.Action, c.Check.Resource, result, c.Want))
		}
	}
	return v, nil
}

// String is the verdict's figures, one origin a line.
func (v Verdict) String() string {
	var b strings.Builder
	for _, o := range origins {
		c := v.Counts[o]
		fmt.Fprintf(&b, "  %-32s %3d allowed, %3d denied explicitly, %3d implicitly\n", o+":", c[Allowed], c[ExplicitlyDenied], c[ImplicitlyDenied])
	}
	return b.String()
}

package execrole_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// The execution role allows exactly the IAM operations the code can call:
// the methods of roles.IAM.
func TestActionsEqualTheCodesIAMCalls(t *testing.T) {
	typ := reflect.TypeFor[roles.IAM]()
	var calls []string
	for i := range typ.NumMethod() {
		calls = append(calls, "iam:"+typ.Method(i).Name)
	}
	slices.Sort(calls)
	if got := execrole.Actions(); !slices.Equal(got, calls) {
		t.Errorf("execution role actions\n %v\ncode's IAM calls\n %v", got, calls)
	}
}

func isRead(action string) bool {
	name := strings.TrimPrefix(action, "iam:")
	return strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List")
}

// No write is allowed on "*", and none on roles without a condition, except
// where the statement's resource cannot carry the role's tags.
func TestWritesAreScoped(t *testing.T) {
	for _, s := range execrole.Statements() {
		t.Run(s.Sid, func(t *testing.T) {
			if len(s.Actions) == 0 || len(s.Resources) == 0 || s.Sid == "" {
				t.Fatalf("incomplete statement %+v", s)
			}
			for _, a := range s.Actions {
				if !strings.HasPrefix(a, "iam:") || strings.Contains(a, "*") {
					t.Errorf("action %q", a)
				}
				if isRead(a) {
					continue
				}
				for _, r := range s.Resources {
					if r == "*" {
						t.Errorf("write %s on *", a)
					}
					if r == execrole.RoleARNs && len(s.Conditions) == 0 {
						t.Errorf("write %s on every role without a condition", a)
					}
				}
			}
		})
	}
}

// Every write on an application role needs the ownership tag, on the role or
// in the request; the service-linked role's writes are pinned to its ARN.
func TestOwnershipConditions(t *testing.T) {
	for _, s := range execrole.Statements() {
		if !slices.Contains(s.Resources, execrole.RoleARNs) || slices.ContainsFunc(s.Actions, isRead) {
			continue
		}
		t.Run(s.Sid, func(t *testing.T) {
			onRole := s.Conditions["StringLike"]["iam:ResourceTag/"+schema.TagStackID]
			inRequest := s.Conditions["Null"]["aws:RequestTag/"+schema.TagStackID]
			if len(onRole) == 0 && len(inRequest) == 0 {
				t.Errorf("%v: no ownership condition: %v", s.Actions, s.Conditions)
			}
			if slices.Contains(s.Actions, "iam:UntagRole") && len(onRole) > 0 &&
				!slices.Equal(s.Conditions["ForAllValues:StringNotEqualsIgnoreCase"]["aws:TagKeys"], execrole.OwnershipTags) {
				t.Errorf("the ownership tags may be removed or rewritten: %v", s.Conditions)
			}
			if slices.Contains(s.Actions, "iam:TagRole") && len(inRequest) > 0 &&
				len(s.Conditions["StringEqualsIfExists"]) != len(execrole.OwnershipTags) {
				t.Errorf("the ownership tags may be moved: %v", s.Conditions)
			}
		})
	}
	var codes []string
	for _, tag := range (roles.Owner{StackID: "s", LogicalResourceID: "l"}).Tags() {
		codes = append(codes, tag.Key)
	}
	if !slices.Equal(codes, execrole.OwnershipTags) {
		t.Errorf("the code sets the ownership tags %v, the execution role protects %v", codes, execrole.OwnershipTags)
	}
	for _, s := range execrole.Statements() {
		if slices.Contains(s.Actions, "iam:CreateServiceLinkedRole") {
			if got := s.Conditions["StringEquals"]["iam:AWSServiceName"]; !slices.Equal(got, []string{"qbusiness.amazonaws.com"}) {
				t.Errorf("CreateServiceLinkedRole not limited to Q Business: %v", s.Conditions)
			}
		}
		if slices.ContainsFunc(s.Actions, func(a string) bool { return strings.Contains(a, "ServiceLinkedRole") }) &&
			!slices.Equal(s.Resources, []string{execrole.ServiceLinkedRoleARN}) {
			t.Errorf("%s: service-linked role actions on %v", s.Sid, s.Resources)
		}
	}
}

func TestDocumentFillsPlaceholdersAndKeepsPolicyVariables(t *testing.T) {
	v := execrole.Values{Partition: "aws-cn", Region: "cn-north-1", AccountID: "123456789012", FunctionARN: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f"}
	guarded := execrole.Document(execrole.All(execrole.Switches{OriginGuard: true, VerifyRequests: true}), v)
	b, _ := json.Marshal(guarded)
	for _, want := range []string{`"arn:aws-cn:iam::123456789012:role/*"`, `"arn:aws-cn:lambda:cn-north-1:123456789012:function:f:*"`,
		`"${aws:RequestTag/qbrole:stack-id}"`, `"Effect":"Deny"`, `"arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/*"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("document lacks %s: %s", want, b)
		}
	}
	if strings.Contains(string(b), "${AWS::") || strings.Contains(string(b), execrole.FunctionARN) {
		t.Errorf("placeholders left: %s", b)
	}
	sts := guarded["Statement"].([]any)
	if len(sts) != len(execrole.Statements())+3 || sts[0].(map[string]any)["Sid"] != execrole.OriginGuard().Sid {
		t.Errorf("the origin guard is not the first of %d statements", len(sts))
	}
	unguarded, _ := json.Marshal(execrole.Document(execrole.All(execrole.Switches{VerifyRequests: true}), v))
	if strings.Contains(string(unguarded), "lambda:SourceFunctionArn") {
		t.Errorf("origin guard off, still in the document: %s", unguarded)
	}
}

// Only the origin guard and the reads' guard deny: the first covers every
// action the code calls, the second the two CloudFormation reads, both under
// the one condition (anything but the function's ARN and its qualified forms).
func TestOriginGuard(t *testing.T) {
	g := execrole.OriginGuard()
	if g.Sid != "DenyOutsideTheFunction" || !g.IsDeny() || !slices.Equal(g.Actions, []string{"iam:*"}) || !slices.Equal(g.Resources, []string{"*"}) {
		t.Errorf("guard %+v", g)
	}
	want := map[string]map[string][]string{"ArnNotLike": {"lambda:SourceFunctionArn": {execrole.FunctionARN, execrole.FunctionARN + ":*"}}}
	if !reflect.DeepEqual(g.Conditions, want) {
		t.Errorf("guard's condition %v, want %v: the function's ARN and its qualified forms", g.Conditions, want)
	}
	r := execrole.GuardStackReads()
	if r.Sid != "DenyStackReadsOutsideTheFunction" || !r.IsDeny() || !slices.Equal(r.Actions, execrole.VerifyRequests().Actions) ||
		!slices.Equal(r.Resources, []string{"*"}) {
		t.Errorf("reads' guard %+v", r)
	}
	if !reflect.DeepEqual(r.Conditions, g.Conditions) {
		t.Errorf("reads' guard's condition %v, the origin guard's %v", r.Conditions, g.Conditions)
	}
	r.Conditions["ArnNotLike"]["lambda:SourceFunctionArn"][0] = "changed"
	if !reflect.DeepEqual(execrole.OriginGuard().Conditions, want) {
		t.Error("the guards share their condition's map: changing one changes the other")
	}
	for _, s := range execrole.Statements() {
		if s.IsDeny() {
			t.Errorf("%s denies", s.Sid)
		}
	}
}

// A statement without conditions renders without a Condition element, and one
// with conditions renders them all.
func TestDocumentWritesConditionsOnlyWhereThereAreAny(t *testing.T) {
	doc := execrole.Document(execrole.Statements(), execrole.Values{Partition: "aws", AccountID: "123456789012"})
	sts := doc["Statement"].([]any)
	if len(sts) != len(execrole.Statements()) {
		t.Fatalf("%d statements rendered, want %d", len(sts), len(execrole.Statements()))
	}
	for i, s := range execrole.Statements() {
		_, has := sts[i].(map[string]any)["Condition"]
		if has != (len(s.Conditions) > 0) {
			t.Errorf("%s: Condition rendered %v, conditions %v", s.Sid, has, s.Conditions)
		}
	}
}

// The CloudFormation reads: exactly the two the check calls, only on stacks
// of the function's own account and Region, and no IAM call of the code.
func TestVerifyRequests(t *testing.T) {
	s := execrole.VerifyRequests()
	if s.Sid != "VerifyRequestsWithCloudFormation" || s.IsDeny() || len(s.Conditions) != 0 {
		t.Errorf("statement %+v", s)
	}
	if want := []string{"cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"}; !slices.Equal(s.Actions, want) {
		t.Errorf("actions %v, want %v", s.Actions, want)
	}
	if want := "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*"; !slices.Equal(s.Resources, []string{want}) {
		t.Errorf("resources %v, want [%s]", s.Resources, want)
	}
	for _, st := range execrole.Statements() {
		if st.Sid == s.Sid {
			t.Errorf("%s is among the IAM Allow statements", s.Sid)
		}
	}
	for _, a := range execrole.Actions() {
		if slices.Contains(s.Actions, a) {
			t.Errorf("Actions lists %s, which is no IAM call", a)
		}
	}
}

func TestFillFillsEveryPlaceholder(t *testing.T) {
	v := execrole.Values{Partition: "aws-us-gov", Region: "us-gov-west-1", AccountID: "123456789012",
		FunctionARN: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f"}
	cases := []struct {
		name, in, want string
	}{
		{"stacks of the Region", execrole.StackARNsInRegion, "arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/*"},
		{"roles", execrole.RoleARNs, "arn:aws-us-gov:iam::123456789012:role/*"},
		{"the function", execrole.FunctionARN + ":*", v.FunctionARN + ":*"},
		{"an IAM policy variable stays", "${aws:RequestTag/x}", "${aws:RequestTag/x}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := v.Fill(c.in); got != c.want {
				t.Errorf("Fill(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func sids(sts []execrole.Statement) []string {
	var out []string
	for _, s := range sts {
		out = append(out, s.Sid)
	}
	return out
}

// Each switch adds its one statement, in its place, and both together add
// the reads' guard after the reads; nothing else.
func TestAllSwitches(t *testing.T) {
	allow := sids(execrole.Statements())
	guard, verify, readsGuard := execrole.OriginGuard().Sid, execrole.VerifyRequests().Sid, execrole.GuardStackReads().Sid
	cases := []struct {
		name string
		on   execrole.Switches
		want []string
	}{
		{"both on", execrole.Switches{OriginGuard: true, VerifyRequests: true}, slices.Concat([]string{guard}, allow, []string{verify, readsGuard})},
		{"origin guard only", execrole.Switches{OriginGuard: true}, slices.Concat([]string{guard}, allow)},
		{"reads only", execrole.Switches{VerifyRequests: true}, slices.Concat(allow, []string{verify})},
		{"both off", execrole.Switches{}, allow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sids(execrole.All(c.on)); !slices.Equal(got, c.want) {
				t.Errorf("statements %v, want %v", got, c.want)
			}
		})
	}
}

// Turning the reads on changes nothing else in the policy: without
// VerifyRequests and its guard, All is the policy as it was before the reads
// existed (with the origin guard on or off), and the reads are the policy's
// only actions that are not IAM's, allowed once and, with the origin guard on,
// denied from outside the function once.
func TestVerifyRequestsChangesNothingElse(t *testing.T) {
	v := execrole.Values{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f"}
	reads := execrole.VerifyRequests().Actions
	for _, guard := range []bool{true, false} {
		t.Run(fmt.Sprintf("OriginGuard=%v", guard), func(t *testing.T) {
			with := execrole.All(execrole.Switches{OriginGuard: guard, VerifyRequests: true})
			theReads := []string{execrole.VerifyRequests().Sid}
			if guard {
				theReads = append(theReads, execrole.GuardStackReads().Sid)
			}
			without := slices.DeleteFunc(slices.Clone(with), func(s execrole.Statement) bool { return slices.Contains(theReads, s.Sid) })
			if len(without) != len(with)-len(theReads) {
				t.Fatalf("%d statements removed, want %d", len(with)-len(without), len(theReads))
			}
			if !reflect.DeepEqual(execrole.Document(without, v), execrole.Document(execrole.All(execrole.Switches{OriginGuard: guard}), v)) {
				t.Error("the policy without the reads and their guard is not the policy with the switch off")
			}
			var allowed, denied []string
			for _, s := range with {
				for _, a := range s.Actions {
					switch {
					case strings.HasPrefix(a, "iam:"):
					case s.IsDeny():
						denied = append(denied, a)
					default:
						allowed = append(allowed, a)
					}
				}
			}
			if !slices.Equal(allowed, reads) {
				t.Errorf("actions outside IAM allowed %v, want only the reads %v", allowed, reads)
			}
			var wantDenied []string
			if guard {
				wantDenied = reads
			}
			if !slices.Equal(denied, wantDenied) {
				t.Errorf("actions outside IAM denied %v, want %v", denied, wantDenied)
			}
		})
	}
}

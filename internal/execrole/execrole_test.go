package execrole_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/roles"
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
			onRole := s.Conditions["StringLike"]["iam:ResourceTag/"+execrole.TagStackID]
			inRequest := s.Conditions["Null"]["aws:RequestTag/"+execrole.TagStackID]
			if len(onRole) == 0 && len(inRequest) == 0 {
				t.Errorf("%v: no ownership condition: %v", s.Actions, s.Conditions)
			}
			if slices.Contains(s.Actions, "iam:UntagRole") &&
				!slices.Equal(s.Conditions["ForAllValues:StringNotLike"]["aws:TagKeys"], []string{"qbrole:*"}) {
				t.Errorf("UntagRole may remove the ownership tags: %v", s.Conditions)
			}
		})
	}
	if roles.TagStackID != execrole.TagStackID || roles.TagLogicalID != execrole.TagLogicalID || !strings.HasPrefix(execrole.TagStackID, roles.TagPrefix) {
		t.Error("the code's ownership tags differ from the execution role's")
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

func TestDocumentSubstitutesPseudoParameters(t *testing.T) {
	doc := execrole.Document()
	if len(doc) != len(execrole.Statements()) {
		t.Fatalf("%d statements", len(doc))
	}
	res := doc[0]["Resource"].([]any)[0]
	if !reflect.DeepEqual(res, map[string]any{"Fn::Sub": execrole.RoleARNs}) {
		t.Errorf("resource = %v", res)
	}
	if doc[1]["Resource"].([]any)[0] != "*" {
		t.Errorf("plain strings must stay strings: %v", doc[1]["Resource"])
	}
}

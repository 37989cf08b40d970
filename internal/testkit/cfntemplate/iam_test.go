package cfntemplate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

func statementsOf(t *testing.T, v any) []any {
	t.Helper()
	b, _ := json.Marshal(v)
	var out []any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnguardedWrites(t *testing.T) {
	role := map[string]any{"Fn::Sub": execrole.RoleARNs}
	own := execrole.Document(execrole.All(execrole.Switches{OriginGuard: true}), execrole.Values{Partition: "aws", AccountID: "123456789012",
		FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f"})["Statement"]
	cases := []struct {
		name string
		st   map[string]any
		want string
	}{
		{"execrole's own statements", nil, ""},
		{"write on *", map[string]any{"Action": "iam:DeleteRole", "Resource": "*"}, "on *"},
		{"wildcard action", map[string]any{"Action": "iam:*", "Resource": role}, "wildcard action"},
		{"unconditioned write on roles", map[string]any{"Action": []any{"iam:PutRolePolicy"}, "Resource": []any{role}}, "without a condition"},
		{"condition without the ownership tag", map[string]any{"Action": "iam:DeleteRole", "Resource": role,
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "us-east-1"}}}, "ownership tag"},
		{"untag without protecting the tags", map[string]any{"Action": "iam:UntagRole", "Resource": role,
			"Condition": map[string]any{"StringLike": map[string]any{"iam:ResourceTag/qbrole:stack-id": "x"}}}, "remove or rewrite the ownership tags"},
		{"untag protecting the tags case-sensitively", map[string]any{"Action": "iam:UntagRole", "Resource": role,
			"Condition": map[string]any{"StringLike": map[string]any{"iam:ResourceTag/qbrole:stack-id": "x"},
				"ForAllValues:StringNotLike": map[string]any{"aws:TagKeys": "qbrole:*"}}}, "remove or rewrite the ownership tags"},
		{"retag of owned roles without protecting the tags", map[string]any{"Action": "iam:TagRole", "Resource": role,
			"Condition": map[string]any{"StringLike": map[string]any{"iam:ResourceTag/qbrole:stack-id": "x"}}}, "remove or rewrite the ownership tags"},
		{"tag with ownership tags, on any role", map[string]any{"Action": "iam:TagRole", "Resource": role,
			"Condition": map[string]any{"StringLike": map[string]any{"aws:RequestTag/qbrole:stack-id": "x"}}}, "move the ownership tags"},
		{"a deny is not a grant", map[string]any{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}, ""},
		{"any service-linked role", map[string]any{"Action": "iam:CreateServiceLinkedRole",
			"Resource": map[string]any{"Fn::Sub": execrole.ServiceLinkedRoleARN}}, "not limited to Q Business"},
		{"reads are fine anywhere", map[string]any{"Action": "iam:ListRoles", "Resource": "*"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sts := statementsOf(t, own)
			if c.st != nil {
				sts = statementsOf(t, []any{c.st})
			}
			got := strings.Join(cfntemplate.UnguardedWrites(sts), "; ")
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("UnguardedWrites = %q, want %q", got, c.want)
			}
		})
	}
}

package roles

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/schema"
)

// Whose a role is, by its ownership tags, and what a refusal to touch it
// says: a role of this same stack under another logical id (a resource
// renamed in the template, as when it moves to a shared provider) is not
// "not managed by this stack".
func TestOwnershipDecision(t *testing.T) {
	owner := Owner{StackID: testStack.ID, LogicalResourceID: "RoleShared"}
	otherStack := "arn:aws:cloudformation:us-east-1:123456789012:stack/other/0d3f5e60-8e6e-11ef-9f2a-0affc1a2b3c4"
	otherAccount := strings.Replace(testStack.ID, "123456789012", "210987654321", 1)
	cases := []struct {
		name string
		role *types.Role
		owns bool
		// want and notWant are parts of the refusal's message.
		want, notWant []string
	}{
		{name: "same stack, same logical id", role: tagged(testStack.ID, "RoleShared"), owns: true},
		{name: "same stack, other logical id", role: tagged(testStack.ID, "Role"),
			want: []string{"creating IAM role (qb-role): it belongs to Role, another resource of this same stack, not to RoleShared",
				"give RoleShared another RoleName, or none to get a generated one, and deploy again",
				"a mere rename in the template can keep the logical id Role instead"},
			notWant: []string{"not managed by this stack"}},
		{name: "other stack, same logical id", role: tagged(otherStack, "RoleShared"),
			want: []string{"creating IAM role (qb-role): it exists and is not managed by this stack"}, notWant: []string{"belongs to"}},
		{name: "other stack, other logical id", role: tagged(otherStack, "Role"),
			want: []string{"it exists and is not managed by this stack"}, notWant: []string{"belongs to"}},
		{name: "same stack name and id in another account", role: tagged(otherAccount, "Role"),
			want: []string{"it exists and is not managed by this stack"}, notWant: []string{"belongs to"}},
		{name: "untagged", role: &types.Role{},
			want: []string{"it exists and is not managed by this stack"}, notWant: []string{"belongs to"}},
		{name: "only the stack tag", role: &types.Role{Tags: tagged(testStack.ID, "").Tags[:1]},
			want: []string{"it exists and is not managed by this stack"}, notWant: []string{"belongs to"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := owns(c.role, owner); got != c.owns {
				t.Errorf("owns = %v, want %v", got, c.owns)
			}
			if isForeign(c.role, owner) == c.owns {
				t.Errorf("isForeign = %v, want %v", !c.owns, !c.owns)
			}
			if c.owns {
				return
			}
			msg := notOwnedError("creating", "qb-role", c.role, owner).Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(msg, w) {
					t.Errorf("message %q has %q", msg, w)
				}
			}
		})
	}
}

// An Update that keeps its name, now held by another resource of the stack,
// is not a rename: its advice is another RoleName, never keeping a logical id.
func TestUpdateRefusalOfAnotherResourcesRole(t *testing.T) {
	owner := Owner{StackID: testStack.ID, LogicalResourceID: "RoleShared"}
	msg := notOwnedError("updating", "qb-role", tagged(testStack.ID, "Role"), owner).Error()
	for _, w := range []string{"updating IAM role (qb-role): it belongs to Role, another resource of this same stack, not to RoleShared",
		"give RoleShared another RoleName, or none to get a generated one"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
	if strings.Contains(msg, "logical id") {
		t.Errorf("message %q advises keeping a logical id", msg)
	}
}

// tagged is a role with the ownership tags naming stack and logical.
func tagged(stack, logical string) *types.Role {
	return &types.Role{Tags: []types.Tag{
		{Key: aws.String(schema.TagStackID), Value: aws.String(stack)},
		{Key: aws.String(schema.TagLogicalID), Value: aws.String(logical)},
	}}
}

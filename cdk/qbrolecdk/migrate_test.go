//go:build integration

package qbrolecdk

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// The README's migration from the per-stack provider to the shared one, as
// the two templates CloudFormation compares show it. A custom resource's
// ServiceToken cannot change ("Updates aren't supported": CloudFormation
// Template Reference, "AWS::CloudFormation::CustomResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html),
// so the new construct id must give the resource a new logical id: the update
// creates it (through the shared provider) and removes the old one and the
// per-stack provider. The old resource names the function in its
// ServiceToken and depends on its policy, so CloudFormation deletes it first,
// while its provider still runs ("Resource A is deleted before resource B":
// CloudFormation User Guide, "DependsOn attribute",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html).
func TestMigrationToTheSharedProviderTemplates(t *testing.T) {
	_, before := newStack(false, "")
	NewQBusinessRole(before, "Role", nil)
	_, after := newStack(false, "")
	NewQBusinessRole(after, "RoleShared", &QBusinessRoleProps{ProviderExportName: jsii.String("qbrole-provider-ServiceToken")})
	old, now := resources(before), resources(after)

	var removed, added []string
	for id := range old {
		if _, ok := now[id]; !ok {
			removed = append(removed, id)
		}
	}
	for id := range now {
		if _, ok := old[id]; !ok {
			added = append(added, id)
		}
	}
	oldRole, newRole := ofType(old, ResourceType), ofType(now, ResourceType)
	if len(oldRole) != 1 || len(newRole) != 1 || oldRole[0] == newRole[0] {
		t.Fatalf("custom resources before %v, after %v: want one each, under different logical ids", oldRole, newRole)
	}
	if !slices.Equal(added, newRole) {
		t.Errorf("added %v, want only %v", added, newRole)
	}
	slices.Sort(removed)
	if !slices.Equal(removed, slices.Sorted(maps.Keys(old))) {
		t.Errorf("removed %v, want every resource of before %v: the old custom resource and the per-stack provider", removed, slices.Sorted(maps.Keys(old)))
	}
	fn, policy := ofType(old, "AWS::Lambda::Function"), ofType(old, "AWS::IAM::Policy")
	if len(fn) != 1 || len(policy) != 1 {
		t.Fatalf("per-stack provider: functions %v, policies %v", fn, policy)
	}
	res := old[oldRole[0]].(map[string]any)
	token := res["Properties"].(map[string]any)["ServiceToken"]
	wantToken := map[string]any{"Fn::GetAtt": []any{fn[0], "Arn"}}
	if !reflect.DeepEqual(token, wantToken) {
		t.Errorf("old ServiceToken %v, want %v: the old resource deleted before its function", token, wantToken)
	}
	if deps, _ := res["DependsOn"].([]any); !slices.Contains(deps, any(policy[0])) {
		t.Errorf("old resource DependsOn %v, want %s: deleted while its function may still act", deps, policy[0])
	}
	newToken := now[newRole[0]].(map[string]any)["Properties"].(map[string]any)["ServiceToken"]
	if !reflect.DeepEqual(newToken, map[string]any{"Fn::ImportValue": "qbrole-provider-ServiceToken"}) {
		t.Errorf("new ServiceToken %v, want the shared provider's export", newToken)
	}
}

// resources are the stack's synthesized resources by logical id.
func resources(stack awscdk.Stack) map[string]any {
	return (*template(stack).ToJSON())["Resources"].(map[string]any)
}

// ofType are the logical ids of the resources of type typ, sorted.
func ofType(res map[string]any, typ string) []string {
	var ids []string
	for id, r := range res {
		if r.(map[string]any)["Type"] == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

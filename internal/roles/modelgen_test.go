// The lifecycle model's generators (model_test.go runs the model against moto,
// under the integration tag); they and their own test need only Go.

package roles_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// The model's own parts: the property generator yields what ParseSpec
// accepts, bar the invalid draws, which it refuses.
func TestModelPropertiesParse(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p, invalid := propsGen(rt, "p")
		_, err := roles.ParseSpec(p, mustStack(rt, "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid"), "R")
		if (err != nil) != invalid {
			rt.Fatalf("%v (invalid draw: %v): %v", p, invalid, err)
		}
	})
}

// Role names the stacks and people use; letter case varies.
var modelNames = []string{"qb-role-a", "QB-Role-A", "qb-role-b", "qb-role-c"}

// The values of the properties the RoleTypes that trust one application
// require, two of each, so that an Update changes them. The secrets are in
// the model's stacks' partition, region and account, the only ones ParseSpec
// accepts.
var (
	modelApplicationIDs = []string{"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"}
	modelIndexIDs       = []string{"c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f", "d4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f80"}
	modelKendraIndexIDs = []string{"e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8091", "f6a7b8c9-d0e1-4f2a-9b4c-5d6e7f809102"}
	modelBucketNames    = []string{"qb-docs-a", "qb-docs.b"}
	modelSecretARNs     = []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:qb/source-AbCdEf",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:qb-plugin-1a2B3c"}
)

// modelRoleTypes weighs the RoleTypes the generator draws: the application
// role (the default, drawn first so that rapid shrinks towards it) 3 in 10,
// each type that trusts one application 2 in 10, the service-linked role
// 1 in 10. An Update draws its type afresh, so it switches RoleType between
// owned types, and to or from ServiceLinkedRole.
var modelRoleTypes = []schema.RoleType{schema.ApplicationRole, schema.ApplicationRole, schema.ApplicationRole,
	schema.DataSourceRole, schema.DataSourceRole, schema.PluginRole, schema.PluginRole,
	schema.RetrieverRole, schema.RetrieverRole, schema.ServiceLinkedRole}

// propsGen draws a resource's properties: every RoleType with the properties
// it requires, from small sets of values; invalid reports the few invalid
// draws (a MaxSessionDuration out of range, an ApplicationId with
// SubscriptionPermissions Exclude), which ParseSpec is to refuse.
func propsGen(rt *rapid.T, label string) (p map[string]any, invalid bool) {
	p = map[string]any{}
	opt := func(key string, values ...any) {
		if v := rapid.SampledFrom(append([]any{nil}, values...)).Draw(rt, label+"."+key); v != nil {
			p[key] = v
		}
	}
	opt(schema.PropServiceTimeout, "3", "30")
	opt(schema.PropOnDelete, string(schema.DeleteRole), string(schema.RetainRole))
	roleType := rapid.SampledFrom(modelRoleTypes).Draw(rt, label+"."+schema.PropRoleType)
	if roleType == schema.ServiceLinkedRole {
		p[schema.PropRoleType] = string(roleType)
		opt(schema.PropDescription, "service-linked role, described")
		return p, false
	}
	// ApplicationRole is the default: given or left out.
	if roleType != schema.ApplicationRole || rapid.Bool().Draw(rt, label+".RoleType given") {
		p[schema.PropRoleType] = string(roleType)
	}
	opt(schema.PropRoleName, rapid.SampledFrom(modelNames).Draw(rt, label+"."+schema.PropRoleName))
	opt(schema.PropPath, "/service-role/", "/p1/", "/p2/")
	opt(schema.PropDescription, "described")
	opt(schema.PropPolicyName, "qb-policy")
	opt(schema.PropMaxSessionDuration, "7200")
	opt(schema.PropTags, []any{map[string]any{"Key": "team", "Value": "x"}}, []any{map[string]any{"Key": "Team", "Value": "y"}})
	invalid = ownProps(rt, label, roleType, p)
	if rapid.IntRange(0, 14).Draw(rt, label+".invalid") == 0 {
		p[schema.PropMaxSessionDuration] = "99"
		invalid = true
	}
	return p, invalid
}

// ownProps draws the properties of roleType's own into p; it reports
// whether it drew an invalid one.
func ownProps(rt *rapid.T, label string, roleType schema.RoleType, p map[string]any) (invalid bool) {
	draw := func(key string, values []string) {
		p[key] = rapid.SampledFrom(values).Draw(rt, label+"."+key)
	}
	switch roleType {
	case schema.ApplicationRole:
		return subscriptionProps(rt, label, p)
	case schema.DataSourceRole:
		draw(schema.PropApplicationID, modelApplicationIDs)
		draw(schema.PropIndexID, modelIndexIDs)
		// The generic document, the Amazon S3 one, or the generic one with
		// the secret statement.
		switch rapid.IntRange(0, 2).Draw(rt, label+".DataSourceRole form") {
		case 1:
			draw(schema.PropBucketName, modelBucketNames)
		case 2:
			draw(schema.PropSecretArn, modelSecretARNs)
		}
	case schema.PluginRole:
		draw(schema.PropApplicationID, modelApplicationIDs)
		draw(schema.PropSecretArn, modelSecretARNs)
	case schema.RetrieverRole:
		draw(schema.PropApplicationID, modelApplicationIDs)
		draw(schema.PropKendraIndexID, modelKendraIndexIDs)
	}
	return false
}

// subscriptionProps draws the application role's SubscriptionPermissions and
// ApplicationId: the id only where the subscription statement is kept, but
// for a rare invalid draw with Exclude (which refuses it).
func subscriptionProps(rt *rapid.T, label string, p map[string]any) (invalid bool) {
	sub := rapid.SampledFrom([]string{"", string(schema.IncludeSubscriptionPermissions), string(schema.ExcludeSubscriptionPermissions)}).
		Draw(rt, label+"."+schema.PropSubscriptionPermissions)
	if sub != "" {
		p[schema.PropSubscriptionPermissions] = sub
	}
	if sub != string(schema.ExcludeSubscriptionPermissions) {
		if id := rapid.SampledFrom(append([]string{""}, modelApplicationIDs...)).Draw(rt, label+"."+schema.PropApplicationID); id != "" {
			p[schema.PropApplicationID] = id
		}
		return false
	}
	if rapid.IntRange(0, 9).Draw(rt, label+".ApplicationId with Exclude") == 0 {
		p[schema.PropApplicationID] = modelApplicationIDs[0]
		return true
	}
	return false
}

func mustStack(rt *rapid.T, id string) roles.Stack {
	st, err := roles.ParseStackID(id)
	if err != nil {
		rt.Fatal(err)
	}
	return st
}

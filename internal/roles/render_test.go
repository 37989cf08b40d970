package roles

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/schema"
)

func TestRender(t *testing.T) {
	generated := GeneratedRoleName(testStack, "AppRole", "req-1")
	cases := []struct {
		name     string
		rt       cfn.RequestType
		physical string
		props    map[string]any
		old      map[string]any
		wantName string
		wantErr  string
	}{
		{"custom name", cfn.RequestCreate, "", map[string]any{"RoleName": "r"}, nil, "r", ""},
		{"Create generates a name", cfn.RequestCreate, "", map[string]any{}, nil, generated, ""},
		{"Update keeps the physical name", cfn.RequestUpdate, "existing", map[string]any{}, map[string]any{}, "existing", ""},
		{"Update without a physical id generates", cfn.RequestUpdate, "", map[string]any{}, nil, generated, ""},
		{"custom name wins over the physical one", cfn.RequestUpdate, "existing", map[string]any{"RoleName": "r"}, nil, "r", ""},
		{"RoleName changed only in case keeps IAM's spelling", cfn.RequestUpdate, "Role-A", map[string]any{"RoleName": "role-a"},
			map[string]any{"RoleName": "Role-A"}, "Role-A", ""},
		{"RoleName removed generates a name", cfn.RequestUpdate, "custom", map[string]any{}, map[string]any{"RoleName": "custom"}, generated, ""},
		{"from an adopted service-linked role generates a name", cfn.RequestUpdate, "qbrole:adopted:AWSServiceRoleForQBusiness",
			map[string]any{}, map[string]any{"RoleType": "ServiceLinkedRole"}, generated, ""},
		{"from a service-linked role this resource made generates a name", cfn.RequestUpdate, "AWSServiceRoleForQBusiness",
			map[string]any{}, map[string]any{"RoleType": "ServiceLinkedRole"}, generated, ""},
		{"from a failed Create's marker generates a name", cfn.RequestUpdate, "qbrole:create-failed:1700000000000",
			map[string]any{}, map[string]any{}, generated, ""},
		{"Delete names the physical role", cfn.RequestDelete, "existing", map[string]any{"RoleName": "other"}, nil, "existing", ""},
		{"service-linked role", cfn.RequestCreate, "", map[string]any{"RoleType": "ServiceLinkedRole"}, nil, "", ""},
		{"bad properties", cfn.RequestCreate, "", map[string]any{"Path": "x"}, nil, "", "Path: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := newEvent(c.rt, c.props)
			ev.PhysicalResourceID, ev.OldResourceProperties = c.physical, c.old
			r, err := Render(ev)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || r.RoleName != c.wantName {
				t.Fatalf("rendering %+v, error %v; want role name %q", r, err, c.wantName)
			}
			if c.wantName == "" {
				if r.RoleType != schema.ServiceLinkedRole || r.AWSServiceName != schema.ServicePrincipal || r.TrustPolicy != nil {
					t.Errorf("rendering %+v, want the service-linked role", r)
				}
				return
			}
			if r.RoleType != schema.ApplicationRole || r.Path != DefaultPath || r.PolicyName != DefaultPolicyName ||
				r.TrustPolicy == nil || r.PermissionsPolicy == nil {
				t.Errorf("rendering %+v", r)
			}
		})
	}
	t.Run("bad stack id", func(t *testing.T) {
		ev := newEvent(cfn.RequestCreate, nil)
		ev.StackID = "not-an-arn"
		if _, err := Render(ev); err == nil || !strings.Contains(err.Error(), "StackId") {
			t.Errorf("error %v", err)
		}
	})
}

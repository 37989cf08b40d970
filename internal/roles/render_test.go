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
		wantName string
		wantErr  string
	}{
		{"custom name", cfn.RequestCreate, "", map[string]any{"RoleName": "r"}, "r", ""},
		{"Create generates a name", cfn.RequestCreate, "", map[string]any{}, generated, ""},
		{"Update keeps the physical name", cfn.RequestUpdate, "existing", map[string]any{}, "existing", ""},
		{"Update without a physical id generates", cfn.RequestUpdate, "", map[string]any{}, generated, ""},
		{"custom name wins over the physical one", cfn.RequestUpdate, "existing", map[string]any{"RoleName": "r"}, "r", ""},
		{"service-linked role", cfn.RequestCreate, "", map[string]any{"RoleType": "ServiceLinkedRole"}, "", ""},
		{"bad properties", cfn.RequestCreate, "", map[string]any{"Path": "x"}, "", "Path: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := newEvent(c.rt, c.props)
			ev.PhysicalResourceID = c.physical
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

package roles

import (
	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/schema"
)

// Rendering is what an event asks IAM for, computed without calling AWS.
type Rendering struct {
	RoleType          schema.RoleType `json:"roleType"`
	RoleName          string          `json:"roleName,omitempty"`
	Path              string          `json:"path,omitempty"`
	PolicyName        string          `json:"policyName,omitempty"`
	TrustPolicy       *PolicyDocument `json:"trustPolicy,omitempty"`
	PermissionsPolicy *PolicyDocument `json:"permissionsPolicy,omitempty"`
	AWSServiceName    string          `json:"awsServiceName,omitempty"`
}

// Render validates the event's properties as a request would and returns the
// role it describes. The error is the one a FAILED response would carry.
func Render(ev cfn.Event) (Rendering, error) {
	stack, err := ParseStackID(ev.StackID)
	if err != nil {
		return Rendering{}, err
	}
	spec, err := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		return Rendering{}, err
	}
	if spec.Type == schema.ServiceLinkedRole {
		return Rendering{RoleType: schema.ServiceLinkedRole, AWSServiceName: schema.ServicePrincipal}, nil
	}
	name := spec.Name
	if name == "" && ev.RequestType != cfn.RequestCreate && ev.PhysicalResourceID != "" {
		name = ev.PhysicalResourceID
	}
	if name == "" {
		name = GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)
	}
	trust, perms := spec.TrustPolicy(), spec.PermissionsPolicy()
	return Rendering{RoleType: schema.ApplicationRole, RoleName: name, Path: spec.Path, PolicyName: spec.PolicyName,
		TrustPolicy: &trust, PermissionsPolicy: &perms}, nil
}

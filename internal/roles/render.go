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
	// Page is the AWS page the role's documents follow: title and URL.
	Page string `json:"page"`
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
	page := kindOf(spec.Type).page
	if !spec.Owned() {
		return Rendering{RoleType: spec.Type, AWSServiceName: schema.ServicePrincipal, Page: page}, nil
	}
	name := spec.Name
	if name == "" && ev.RequestType != cfn.RequestCreate && ev.PhysicalResourceID != "" {
		name = ev.PhysicalResourceID
	}
	if name == "" {
		name = GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)
	}
	trust, perms := spec.TrustPolicy(), spec.PermissionsPolicy()
	return Rendering{RoleType: spec.Type, RoleName: name, Path: spec.Path, PolicyName: spec.PolicyName,
		TrustPolicy: &trust, PermissionsPolicy: &perms, Page: page}, nil
}

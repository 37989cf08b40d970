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
	name := renderedName(ev, spec, stack)
	trust, perms := spec.TrustPolicy(), spec.PermissionsPolicy()
	return Rendering{RoleType: spec.Type, RoleName: name, Path: spec.Path, PolicyName: spec.PolicyName,
		TrustPolicy: &trust, PermissionsPolicy: &perms, Page: page}, nil
}

// renderedName is the name of the role the event is about, as the request
// would choose it without reading IAM: a Create's RoleName or generated name;
// for an Update, the name under the PhysicalResourceId when the Update keeps
// it (updatedRoleName, with no role read), else the new one (a replacement
// from the service-linked role, a RoleName removed or changed); for a
// Delete, the role under the PhysicalResourceId.
func renderedName(ev cfn.Event, spec Spec, stack Stack) string {
	generated := GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)
	id := ParsePhysicalID(ev.PhysicalResourceID)
	switch ev.RequestType {
	case cfn.RequestCreate:
		return orDefault(spec.Name, generated)
	case cfn.RequestUpdate:
		old, _ := ParseSpec(ev.OldResourceProperties, stack, ev.LogicalResourceID)
		// As update decides, with no role read: the service-linked role by
		// its id, its name, or the old properties.
		if id.Kind != IDRole || wasServiceLinked(id, nil, old) || NamesServiceLinkedRole(ev.PhysicalResourceID) {
			return orDefault(spec.Name, generated)
		}
		if name, err := updatedRoleName(spec, old, id.RoleName, nil, generated); err == nil {
			return name
		}
		return id.RoleName
	default:
		if id.Kind == IDRole {
			return id.RoleName
		}
		return orDefault(spec.Name, ev.PhysicalResourceID)
	}
}

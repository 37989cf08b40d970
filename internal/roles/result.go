package roles

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/schema"
)

// Outcome is what a request did, as Result.Outcome reports it. A request that
// fails has no Outcome of its own; whoever answers it says so.
type Outcome string

// Outcomes of a request.
const (
	Created   Outcome = "created"   // a new role
	Adopted   Outcome = "adopted"   // the service-linked role existed (a Create), or is one that did (an Update); this resource never changes or deletes it
	Updated   Outcome = "updated"   // an existing role was changed to match the properties
	Unchanged Outcome = "unchanged" // the role already matched; no IAM write
	Deleted   Outcome = "deleted"   // the role is gone (or was already)
	Retained  Outcome = "retained"  // OnDelete: Retain kept the role
	Skipped   Outcome = "skipped"   // the physical id is not a role this resource owns; nothing touched
)

// Result is what a request produced.
type Result struct {
	// PhysicalResourceID is the id the request decided: the role's name, or
	// a marker (physid.go); "" when it named nothing.
	PhysicalResourceID string
	// Arn, RoleName and RoleID are the role the request leaves in place;
	// empty when there is none to name (a Delete, a failure).
	Arn, RoleName, RoleID string
	// Outcome is what the request did; empty on failure.
	Outcome Outcome
	// Changes are the IAM writes made, on failure too.
	Changes []string
	// Note tells what the request left undone on purpose, and why ("" for
	// nothing), for the log.
	Note string
}

// Attributes are the role's attributes for the response's Data, under the
// names Fn::GetAtt reads: Arn, RoleName and RoleId. They are nil when r names
// no role.
func (r Result) Attributes() map[string]any {
	if r.Arn == "" && r.RoleName == "" && r.RoleID == "" {
		return nil
	}
	return map[string]any{
		schema.AttrArn:      r.Arn,
		schema.AttrRoleName: r.RoleName,
		schema.AttrRoleID:   r.RoleID,
	}
}

// roleResult is the Result of a request that leaves role under id.
func roleResult(id string, role *types.Role, outcome Outcome) Result {
	return Result{PhysicalResourceID: id, Arn: aws.ToString(role.Arn), RoleName: aws.ToString(role.RoleName),
		RoleID: aws.ToString(role.RoleId), Outcome: outcome}
}

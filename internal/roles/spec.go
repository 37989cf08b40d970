package roles

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/qbrole/qbrole/internal/schema"
)

// Defaults of the resource's properties.
const (
	DefaultPath                = "/service-role/"
	DefaultPolicyName          = "QBusinessApplicationPolicy"
	DefaultMaxSessionDuration  = 3600
	DefaultApplicationRoleDesc = "Role that Amazon Q Business assumes to write CloudWatch metrics and logs and to assign user subscriptions (managed by qbrole)"
	// DefaultCurrentApplicationRoleDesc is the default with SubscriptionPermissions Exclude.
	DefaultCurrentApplicationRoleDesc = "Role that Amazon Q Business assumes to write CloudWatch metrics and logs (managed by qbrole)"
	DefaultServiceLinkedRoleDesc      = "Service-linked role for Amazon Q Business (created by qbrole)"
)

// A role holds at most maxTagsPerRole tags, ownershipTagLen of them the
// ownership tags (schema.TagStackID, schema.TagLogicalID).
const (
	maxTagsPerRole  = 50
	ownershipTagLen = 2
)

// Tag is an IAM tag, as in AWS::IAM::Role's Tags.
type Tag struct {
	Key   string
	Value string
}

// byKey orders tags by key.
func byKey(a, b Tag) int { return strings.Compare(a.Key, b.Key) }

// Owner identifies the stack resource a role belongs to.
type Owner struct {
	StackID           string
	LogicalResourceID string
}

// Tags returns the ownership tags for o.
func (o Owner) Tags() []Tag {
	return []Tag{{Key: schema.TagStackID, Value: o.StackID}, {Key: schema.TagLogicalID, Value: o.LogicalResourceID}}
}

// Spec is the desired role, validated and with defaults applied.
type Spec struct {
	Type schema.RoleType
	// Name is the RoleName property; empty when the name is to be generated.
	Name        string
	Path        string
	Description string
	// DescriptionGiven is whether the properties name a Description (else
	// Description is the RoleType's default).
	DescriptionGiven    bool
	PolicyName          string
	PermissionsBoundary string
	MaxSessionDuration  int32
	// SubscriptionPermissions says whether the permissions policy carries the
	// user-subscription statement (application role only).
	SubscriptionPermissions schema.SubscriptionPermissions
	// Tags are the user's tags, sorted by key, without the ownership tags.
	Tags         []Tag
	OnDelete     schema.OnDelete
	Placeholders Placeholders
	Owner        Owner
}

// TrustPolicy is the trust policy the role must have: its RoleType's (not
// for the service-linked role, whose documents AWS owns).
func (s Spec) TrustPolicy() PolicyDocument { return kindOf(s.Type).trust(s) }

// PermissionsPolicy is the inline policy the role must have: its RoleType's
// (not for the service-linked role).
func (s Spec) PermissionsPolicy() PolicyDocument { return kindOf(s.Type).permissions(s) }

// Owned reports whether qbrole creates the role and writes its documents:
// every RoleType but ServiceLinkedRole.
func (s Spec) Owned() bool { return kindOf(s.Type).owned() }

// AllTags returns the user's tags and the ownership tags, sorted by key.
func (s Spec) AllTags() []Tag {
	all := append(append([]Tag{}, s.Tags...), s.Owner.Tags()...)
	slices.SortFunc(all, byKey)
	return all
}

// ParseSpec validates a resource's properties, as CloudFormation sends them
// (all scalars may arrive as strings), and applies the defaults. The stack's
// partition, region and account come from stack. Every problem is reported,
// each naming its property; nothing here calls IAM.
func ParseSpec(props map[string]any, stack Stack, logicalID string) (Spec, error) {
	p := &propReader{props: props}
	s := Spec{Owner: Owner{StackID: stack.ID, LogicalResourceID: logicalID}}
	kind := p.common(&s)
	if kind.owned() {
		p.role(&s, kind)
		s.Placeholders = Placeholders{Partition: stack.Partition, Region: stack.Region,
			AccountID: stack.AccountID, SourceAccount: stack.AccountID}
	}
	if kind.read != nil {
		kind.read(p, &s, stack)
	}
	if kind.owned() {
		s.Tags = p.tags(schema.PropTags)
	}
	return s, p.err()
}

// common reads the properties every RoleType has, and refuses unknown ones
// and those the RoleType does not take. It returns the RoleType's entry.
func (p *propReader) common(s *Spec) roleKind {
	s.Type = schema.RoleType(p.str(schema.PropRoleType, string(schema.ApplicationRole)))
	kind, ok := roleKinds[s.Type]
	if !ok {
		p.fail(schema.PropRoleType, unknownRoleType(s.Type))
		// The other properties are judged by no type: the one meant is
		// not known.
		s.Type, kind = schema.ApplicationRole, applicationRoleKind
	}
	known := knownProperties()
	keys := make([]string, 0, len(p.props))
	for k := range p.props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case kind.takes(k), !ok && slices.Contains(known, k):
		case slices.Contains(known, k):
			p.fail(k, notTaken(s.Type, k))
		default:
			p.fail(k, unknownProperty(k))
		}
	}
	s.OnDelete = schema.OnDelete(p.str(schema.PropOnDelete, string(schema.DeleteRole)))
	if s.OnDelete != schema.DeleteRole && s.OnDelete != schema.RetainRole {
		p.fail(schema.PropOnDelete, fmt.Sprintf("must be %s or %s, not %q", schema.DeleteRole, schema.RetainRole, s.OnDelete))
	}
	s.Description = p.str(schema.PropDescription, kind.description)
	_, s.DescriptionGiven = p.props[schema.PropDescription]
	if utf8.RuneCountInString(s.Description) > maxDescription {
		p.fail(schema.PropDescription, fmt.Sprintf("must be at most %d characters", maxDescription))
	} else if !descriptionPattern.MatchString(s.Description) {
		p.fail(schema.PropDescription, "may contain only printable Latin-1 characters, tabs and line breaks")
	}
	return kind
}

// unknownRoleType is the refusal of a RoleType that is none of the values:
// the value it differs from only in letter case, or the list.
func unknownRoleType(t schema.RoleType) string {
	for _, known := range schema.RoleTypes() {
		if strings.EqualFold(string(known), string(t)) {
			return fmt.Sprintf("%q: did you mean %s?", t, known)
		}
	}
	return fmt.Sprintf("must be %s, not %q", roleTypeList(), t)
}

// notTaken is the refusal of a property that RoleType t does not take but
// another does: a property of some types only names them.
func notTaken(t schema.RoleType, name string) string {
	msg := fmt.Sprintf("is not supported when RoleType is %s", t)
	if slices.Contains(schema.RoleProperties(), name) {
		return msg
	}
	owners := ownersOf(name)
	if len(owners) == 1 {
		return fmt.Sprintf("%s (only %s takes it)", msg, owners[0])
	}
	return fmt.Sprintf("%s (only %s and %s take it)", msg, strings.Join(owners[:len(owners)-1], ", "), owners[len(owners)-1])
}

// role reads the settings of every role qbrole owns; kind gives the
// defaults.
func (p *propReader) role(s *Spec, kind roleKind) {
	s.Name = p.str(schema.PropRoleName, "")
	if _, given := p.props[schema.PropRoleName]; given && !roleNamePattern.MatchString(s.Name) {
		p.fail(schema.PropRoleName, fmt.Sprintf("%q must be 1 to 64 characters of letters, digits and +=,.@_-", s.Name))
	}
	s.Path = p.str(schema.PropPath, DefaultPath)
	if len(s.Path) > maxPath || !pathPattern.MatchString(s.Path) {
		p.fail(schema.PropPath, fmt.Sprintf("%q must be / or start and end with / and hold printable ASCII without spaces, at most %d characters", s.Path, maxPath))
	} else if strings.HasPrefix(s.Path, "/aws-service-role/") {
		p.fail(schema.PropPath, "/aws-service-role/ is reserved for service-linked roles")
	}
	s.PolicyName = p.str(schema.PropPolicyName, kind.policyName)
	if !policyNamePattern.MatchString(s.PolicyName) {
		p.fail(schema.PropPolicyName, fmt.Sprintf("%q must be 1 to 128 characters of letters, digits and +=,.@_-", s.PolicyName))
	}
	s.PermissionsBoundary = p.str(schema.PropPermissionsBoundary, "")
	if s.PermissionsBoundary != "" && (len(s.PermissionsBoundary) > maxBoundaryARN || !boundaryPattern.MatchString(s.PermissionsBoundary)) {
		p.fail(schema.PropPermissionsBoundary, fmt.Sprintf("%q is not an IAM managed policy ARN", s.PermissionsBoundary))
	}
	s.MaxSessionDuration = int32(p.integer(schema.PropMaxSessionDuration, DefaultMaxSessionDuration, minSessionDuration, maxSessionDuration))
}

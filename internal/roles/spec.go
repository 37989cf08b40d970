package roles

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qbrole/qbrole/internal/execrole"
)

// RoleType says which kind of role the resource manages.
type RoleType string

const (
	// ApplicationRole is an IAM role with the documented trust and inline
	// permissions policies, owned by one stack's resource.
	ApplicationRole RoleType = "ApplicationRole"
	// ServiceLinkedRole is AWSServiceRoleForQBusiness, one per account.
	ServiceLinkedRole RoleType = "ServiceLinkedRole"
)

// OnDelete says what a Delete does to a role this resource created.
type OnDelete string

const (
	// DeleteRole deletes the role when the resource is deleted.
	DeleteRole OnDelete = "Delete"
	// RetainRole keeps the role when the resource is deleted.
	RetainRole OnDelete = "Retain"
)

// Defaults of the resource's properties.
const (
	DefaultPath                  = "/service-role/"
	DefaultPolicyName            = "QBusinessApplicationPolicy"
	DefaultMaxSessionDuration    = 3600
	DefaultApplicationRoleDesc   = "Role that Amazon Q Business assumes to write CloudWatch metrics and logs and to assign user subscriptions (managed by qbrole)"
	DefaultServiceLinkedRoleDesc = "Service-linked role for Amazon Q Business (created by qbrole)"
	// SLRPath is the path IAM gives the Q Business service-linked role.
	SLRPath = "/aws-service-role/" + ServicePrincipal + "/"
)

// Tag keys that mark a role as created by this resource. Users may not set
// tags with the reserved prefix.
const (
	TagPrefix       = "qbrole:"
	TagStackID      = execrole.TagStackID
	TagLogicalID    = execrole.TagLogicalID
	maxTagsPerRole  = 50
	ownershipTagLen = 2
)

// Tag is an IAM tag, as in AWS::IAM::Role's Tags.
type Tag struct {
	Key   string
	Value string
}

// Owner identifies the stack resource a role belongs to.
type Owner struct {
	StackID           string
	LogicalResourceID string
}

// Tags returns the ownership tags for o.
func (o Owner) Tags() []Tag {
	return []Tag{{Key: TagStackID, Value: o.StackID}, {Key: TagLogicalID, Value: o.LogicalResourceID}}
}

// Stack is what a CloudFormation StackId tells: partition, region, account and name.
type Stack struct {
	ID        string
	Partition string
	Region    string
	AccountID string
	Name      string
}

var stackIDPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):cloudformation:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):stack/([A-Za-z][A-Za-z0-9-]{0,127})/[A-Za-z0-9-]+$`)

// ParseStackID reads a CloudFormation stack ARN.
func ParseStackID(id string) (Stack, error) {
	m := stackIDPattern.FindStringSubmatch(id)
	if m == nil {
		return Stack{}, &PropertyError{Property: "StackId", Message: fmt.Sprintf("%q is not a CloudFormation stack ARN", id)}
	}
	return Stack{ID: id, Partition: m[1], Region: m[2], AccountID: m[3], Name: m[4]}, nil
}

// Spec is the desired role, validated and with defaults applied.
type Spec struct {
	Type RoleType
	// Name is the RoleName property; empty when the name is to be generated.
	Name                string
	Path                string
	Description         string
	PolicyName          string
	PermissionsBoundary string
	MaxSessionDuration  int32
	// Tags are the user's tags, sorted by key, without the ownership tags.
	Tags         []Tag
	OnDelete     OnDelete
	Placeholders Placeholders
	Owner        Owner
}

// TrustPolicy is the trust policy the application role must have.
func (s Spec) TrustPolicy() PolicyDocument { return TrustPolicy(s.Placeholders) }

// PermissionsPolicy is the inline policy the application role must have.
func (s Spec) PermissionsPolicy() PolicyDocument { return PermissionsPolicy(s.Placeholders) }

// AllTags returns the user's tags and the ownership tags, sorted by key.
func (s Spec) AllTags() []Tag {
	all := append(append([]Tag{}, s.Tags...), s.Owner.Tags()...)
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	return all
}

// PropertyError is a property that fails validation. Its message names the
// property, so the FAILED reason tells the user what to fix.
type PropertyError struct {
	Property string
	Message  string
}

func (e *PropertyError) Error() string { return e.Property + ": " + e.Message }

// Properties every RoleType accepts; ServiceToken and ServiceTimeout are
// CloudFormation's own.
var commonProperties = map[string]bool{
	"ServiceToken": true, "ServiceTimeout": true, "RoleType": true, "Description": true, "OnDelete": true,
}

// Properties only the application role accepts.
var applicationProperties = map[string]bool{
	"RoleName": true, "Path": true, "ApplicationId": true, "SubscriptionId": true, "Region": true,
	"SourceAccount": true, "PolicyName": true, "PermissionsBoundary": true, "MaxSessionDuration": true, "Tags": true,
}

var (
	roleNamePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNamePattern  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	pathPattern        = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	descriptionPattern = regexp.MustCompile(`^[\t\n\r\x20-\x7E\x{A1}-\x{FF}]*$`)
	accountPattern     = regexp.MustCompile(`^\d{12}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	applicationPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]{35}$`)
	subscriptionPat    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
	boundaryPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\x21-\x7E]+$`)
	tagKeyPattern      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValuePattern    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// ParseSpec validates a resource's properties, as CloudFormation sends them
// (all scalars may arrive as strings), and applies the defaults. The stack's
// partition, region and account come from stack. Every problem is reported,
// each naming its property; nothing here calls IAM.
func ParseSpec(props map[string]any, stack Stack, logicalID string) (Spec, error) {
	p := &propReader{props: props}
	s := Spec{Owner: Owner{StackID: stack.ID, LogicalResourceID: logicalID}}

	s.Type = RoleType(p.str("RoleType", string(ApplicationRole)))
	if s.Type != ApplicationRole && s.Type != ServiceLinkedRole {
		p.fail("RoleType", fmt.Sprintf("must be %s or %s, not %q", ApplicationRole, ServiceLinkedRole, s.Type))
		s.Type = ApplicationRole
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case commonProperties[k]:
		case applicationProperties[k]:
			if s.Type == ServiceLinkedRole {
				p.fail(k, "is not supported when RoleType is ServiceLinkedRole")
			}
		default:
			p.fail(k, unknownProperty(k))
		}
	}

	s.OnDelete = OnDelete(p.str("OnDelete", string(DeleteRole)))
	if s.OnDelete != DeleteRole && s.OnDelete != RetainRole {
		p.fail("OnDelete", fmt.Sprintf("must be Delete or Retain, not %q", s.OnDelete))
	}
	defaultDesc := DefaultApplicationRoleDesc
	if s.Type == ServiceLinkedRole {
		defaultDesc = DefaultServiceLinkedRoleDesc
	}
	s.Description = p.str("Description", defaultDesc)
	switch {
	case utf8.RuneCountInString(s.Description) > 1000:
		p.fail("Description", "must be at most 1000 characters")
	case !descriptionPattern.MatchString(s.Description):
		p.fail("Description", "may contain only printable Latin-1 characters, tabs and line breaks")
	}
	if s.Type == ServiceLinkedRole {
		return s, p.err()
	}

	s.Name = p.str("RoleName", "")
	if _, given := props["RoleName"]; given && !roleNamePattern.MatchString(s.Name) {
		p.fail("RoleName", fmt.Sprintf("%q must be 1 to 64 characters of letters, digits and +=,.@_-", s.Name))
	}
	s.Path = p.str("Path", DefaultPath)
	switch {
	case len(s.Path) > 512 || !pathPattern.MatchString(s.Path):
		p.fail("Path", fmt.Sprintf("%q must be / or start and end with / and hold printable ASCII without spaces, at most 512 characters", s.Path))
	case strings.HasPrefix(s.Path, "/aws-service-role/"):
		p.fail("Path", "/aws-service-role/ is reserved for service-linked roles")
	}
	s.PolicyName = p.str("PolicyName", DefaultPolicyName)
	if !policyNamePattern.MatchString(s.PolicyName) {
		p.fail("PolicyName", fmt.Sprintf("%q must be 1 to 128 characters of letters, digits and +=,.@_-", s.PolicyName))
	}
	s.PermissionsBoundary = p.str("PermissionsBoundary", "")
	if s.PermissionsBoundary != "" && (len(s.PermissionsBoundary) > 2048 || !boundaryPattern.MatchString(s.PermissionsBoundary)) {
		p.fail("PermissionsBoundary", fmt.Sprintf("%q is not an IAM managed policy ARN", s.PermissionsBoundary))
	}
	s.MaxSessionDuration = int32(p.integer("MaxSessionDuration", DefaultMaxSessionDuration, 3600, 43200))

	s.Placeholders = Placeholders{
		Partition:      stack.Partition,
		AccountID:      stack.AccountID,
		Region:         p.str("Region", stack.Region),
		SourceAccount:  p.str("SourceAccount", stack.AccountID),
		ApplicationID:  p.str("ApplicationId", "*"),
		SubscriptionID: p.str("SubscriptionId", "*"),
	}
	if !regionPattern.MatchString(s.Placeholders.Region) {
		p.fail("Region", fmt.Sprintf("%q is not an AWS region name such as us-east-1", s.Placeholders.Region))
	}
	if !accountPattern.MatchString(s.Placeholders.SourceAccount) {
		p.fail("SourceAccount", fmt.Sprintf("%q must be a 12-digit AWS account id", s.Placeholders.SourceAccount))
	}
	if id := s.Placeholders.ApplicationID; id != "*" && !applicationPattern.MatchString(id) {
		p.fail("ApplicationId", fmt.Sprintf("%q must be * or a Q Business application id (36 letters, digits and hyphens)", id))
	}
	if id := s.Placeholders.SubscriptionID; id != "*" && (len(id) > 1034 || !subscriptionPat.MatchString(id)) {
		p.fail("SubscriptionId", fmt.Sprintf("%q must be * or a Q Business subscription id (letters, digits and hyphens)", id))
	}
	s.Tags = p.tags("Tags")
	return s, p.err()
}

// unknownProperty explains an unknown property name: the known one it differs
// from only in case, or the list of known ones.
func unknownProperty(name string) string {
	var known []string
	for _, set := range []map[string]bool{commonProperties, applicationProperties} {
		for k := range set {
			if strings.EqualFold(k, name) {
				return "unknown property; did you mean " + k + "?"
			}
			known = append(known, k)
		}
	}
	sort.Strings(known)
	return "unknown property (known: " + strings.Join(known, ", ") + ")"
}

// GeneratedRoleName makes a role name the way CloudFormation names resources —
// stack name, logical id and a 12-character suffix, at most 64 characters —
// with "QBusiness" before the suffix: the Amazon Q Business console offers
// only roles with qbusiness or QBusiness in their name. The suffix is derived
// from the request, so a retried delivery of the same Create gets the same name.
func GeneratedRoleName(stack Stack, logicalID, requestID string) string {
	sum := sha256.Sum256([]byte(stack.ID + "\x00" + logicalID + "\x00" + requestID))
	suffix := strings.ToUpper(new(big.Int).SetBytes(sum[:]).Text(36))
	for len(suffix) < 12 {
		suffix = "0" + suffix
	}
	suffix = suffix[:12]
	const marker = "QBusiness"
	const budget = 64 - len(marker) - 12 - 3
	stackName, logical := stack.Name, logicalID
	if len(stackName)+len(logical) > budget {
		keepLogical := min(len(logical), max(budget-len(stackName), budget/2))
		logical = logical[:keepLogical]
		stackName = stackName[:min(len(stackName), budget-keepLogical)]
	}
	return stackName + "-" + logical + "-" + marker + "-" + suffix
}

// propReader reads typed values out of CloudFormation's property map and
// collects one error per bad property.
type propReader struct {
	props map[string]any
	errs  []error
}

func (p *propReader) fail(name, msg string) {
	p.errs = append(p.errs, &PropertyError{Property: name, Message: msg})
}

func (p *propReader) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &InvalidPropertiesError{Errors: p.errs}
}

// InvalidPropertiesError lists every property that failed validation.
type InvalidPropertiesError struct {
	Errors []error
}

func (e *InvalidPropertiesError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		msgs[i] = err.Error()
	}
	return "invalid properties: " + strings.Join(msgs, "; ")
}

// Unwrap gives the PropertyErrors, for errors.As.
func (e *InvalidPropertiesError) Unwrap() []error { return e.Errors }

func (p *propReader) str(name, def string) string {
	v, ok := p.props[name]
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		p.fail(name, fmt.Sprintf("must be a string, not %s", jsonType(v)))
		return def
	}
	return s
}

func (p *propReader) integer(name string, def, lo, hi int) int {
	v, ok := p.props[name]
	if !ok || v == nil {
		return def
	}
	var n int
	switch t := v.(type) {
	case float64:
		if t != float64(int(t)) {
			p.fail(name, fmt.Sprintf("must be a whole number, not %v", t))
			return def
		}
		n = int(t)
	case string:
		i, err := strconv.Atoi(t)
		if err != nil {
			p.fail(name, fmt.Sprintf("must be a whole number, not %q", t))
			return def
		}
		n = i
	default:
		p.fail(name, fmt.Sprintf("must be a number, not %s", jsonType(v)))
		return def
	}
	if n < lo || n > hi {
		p.fail(name, fmt.Sprintf("must be between %d and %d, not %d", lo, hi, n))
		return def
	}
	return n
}

func (p *propReader) tags(name string) []Tag {
	v, ok := p.props[name]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.fail(name, fmt.Sprintf("must be a list of {Key, Value}, not %s", jsonType(v)))
		return nil
	}
	if len(list) > maxTagsPerRole-ownershipTagLen {
		p.fail(name, fmt.Sprintf("at most %d tags (IAM allows %d; qbrole adds %d ownership tags), not %d",
			maxTagsPerRole-ownershipTagLen, maxTagsPerRole, ownershipTagLen, len(list)))
		return nil
	}
	seen := map[string]bool{}
	tags := make([]Tag, 0, len(list))
	for i, e := range list {
		where := fmt.Sprintf("%s[%d]", name, i)
		m, ok := e.(map[string]any)
		if !ok {
			p.fail(where, fmt.Sprintf("must be an object with Key and Value, not %s", jsonType(e)))
			continue
		}
		for k := range m {
			if k != "Key" && k != "Value" {
				p.fail(where, fmt.Sprintf("unknown field %q (only Key and Value)", k))
			}
		}
		key, kok := m["Key"].(string)
		value, vok := m["Value"].(string)
		if _, present := m["Value"]; !present {
			value, vok = "", true
		}
		switch {
		case !kok:
			p.fail(where+".Key", "must be a string")
			continue
		case !vok:
			p.fail(where+".Value", "must be a string")
			continue
		case !tagKeyPattern.MatchString(key):
			p.fail(where+".Key", fmt.Sprintf("%q must be 1 to 128 letters, digits, spaces and _.:/=+-@", key))
		case strings.HasPrefix(strings.ToLower(key), "aws:"):
			p.fail(where+".Key", fmt.Sprintf("%q: the aws: prefix is reserved by AWS", key))
		case strings.HasPrefix(strings.ToLower(key), TagPrefix):
			p.fail(where+".Key", fmt.Sprintf("%q: the %s prefix is reserved for ownership tags", key, TagPrefix))
		case seen[strings.ToLower(key)]:
			p.fail(where+".Key", fmt.Sprintf("%q appears twice (IAM tag keys are case-insensitive)", key))
		}
		switch {
		case utf8.RuneCountInString(value) > 256 || !tagValuePattern.MatchString(value):
			p.fail(where+".Value", "must be at most 256 letters, digits, spaces and _.:/=+-@")
		case strings.HasPrefix(strings.ToLower(value), "aws:"):
			// IAM refuses tag keys and values that begin with aws: ("Tagging IAM resources").
			p.fail(where+".Value", fmt.Sprintf("%q: values beginning with aws: are reserved by AWS", value))
		}
		seen[strings.ToLower(key)] = true
		tags = append(tags, Tag{Key: key, Value: value})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}

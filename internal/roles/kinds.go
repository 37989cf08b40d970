// Role types as data: what each RoleType takes, the documents it writes and
// the AWS page they follow, one entry per type (kind_*.go). The reconcile,
// delete, ownership and answer code (manager.go, ownedrole.go,
// reconcile.go, attachments.go) is the same for every type qbrole owns; only
// the service-linked role, which IAM makes for AWS, has its own
// (servicelinked.go).

package roles

import (
	"fmt"
	"slices"
	"strings"

	"github.com/qbrole/qbrole/internal/schema"
)

// roleKind is one RoleType.
type roleKind struct {
	// page is the AWS page its documents follow: title and URL.
	page string
	// properties it takes besides schema.CommonProperties (and, for a role
	// qbrole owns, schema.RoleProperties).
	properties []string
	// description and policyName are the defaults of Description and
	// PolicyName.
	description, policyName string
	// read validates the type's own properties into the spec, after the
	// common and role properties; nil when it has none.
	read func(p *propReader, s *Spec, stack Stack)
	// trust and permissions build the trust policy and the inline
	// permissions policy; nil for the service-linked role, whose documents
	// AWS owns.
	trust, permissions func(Spec) PolicyDocument
}

// owned reports whether qbrole creates the role and writes its documents
// (every type but the service-linked role).
func (k roleKind) owned() bool { return k.trust != nil }

// roleKinds holds every RoleType's entry; schema.RoleTypes lists the same
// types, and a test keeps the two equal.
var roleKinds = map[schema.RoleType]roleKind{
	schema.ApplicationRole:   applicationRoleKind,
	schema.ServiceLinkedRole: serviceLinkedRoleKind,
	schema.DataSourceRole:    dataSourceRoleKind,
	schema.PluginRole:        pluginRoleKind,
	schema.RetrieverRole:     retrieverRoleKind,
}

// kindOf returns t's entry; t must be one of schema.RoleTypes (ParseSpec
// refuses any other).
func kindOf(t schema.RoleType) roleKind {
	k, ok := roleKinds[t]
	if !ok {
		panic(fmt.Sprintf("roles: no entry for RoleType %q", t))
	}
	return k
}

// takes reports whether the RoleType takes the property name: a common one,
// a role property (when qbrole owns the role) or its own.
func (k roleKind) takes(name string) bool {
	return slices.Contains(schema.CommonProperties(), name) ||
		k.owned() && slices.Contains(schema.RoleProperties(), name) ||
		slices.Contains(k.properties, name)
}

// knownProperties is every property some RoleType takes, sorted.
func knownProperties() []string {
	known := slices.Concat(schema.CommonProperties(), schema.RoleProperties())
	for _, k := range roleKinds {
		known = append(known, k.properties...)
	}
	slices.Sort(known)
	return slices.Compact(known)
}

// ownersOf lists the RoleTypes that take the property name, in
// schema.RoleTypes' order.
func ownersOf(name string) []string {
	var owners []string
	for _, t := range schema.RoleTypes() {
		if kindOf(t).takes(name) {
			owners = append(owners, string(t))
		}
	}
	return owners
}

// roleTypeList is "A, B, C or D": the values of RoleType, for messages.
func roleTypeList() string {
	types := schema.RoleTypes()
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// The roles that trust one application (every owned type but the
// application role): the application exists before its data sources,
// plugins and retrievers, so their trust names it.

// applicationTrust is the trust policy of a role that Amazon Q Business
// assumes for one application: the service principal, aws:SourceAccount and
// aws:SourceArn on that application, under the ARN operator its page uses
// (arnOperator: ArnLike or ArnEquals). sid is the page's statement id.
func applicationTrust(sid, arnOperator string, p Placeholders) PolicyDocument {
	return PolicyDocument{
		Version: PolicyVersion,
		Statement: []Statement{{
			Sid:       sid,
			Effect:    "Allow",
			Principal: &Principal{Service: schema.ServicePrincipal},
			Action:    "sts:AssumeRole",
			Condition: Condition{
				"StringEquals": {"aws:SourceAccount": p.SourceAccount},
				arnOperator:    {"aws:SourceArn": applicationARN(p)},
			},
		}},
	}
}

// applicationARN is the ARN of the application p names, in p's source
// account.
func applicationARN(p Placeholders) string {
	return fmt.Sprintf("arn:%s:qbusiness:%s:%s:application/%s", p.Partition, p.Region, p.SourceAccount, p.ApplicationID)
}

// secretStatement lets Amazon Q Business read the secret p names; sid is the
// page's statement id.
func secretStatement(sid string, p Placeholders) Statement {
	return Statement{
		Sid:      sid,
		Effect:   "Allow",
		Action:   []string{"secretsmanager:GetSecretValue"},
		Resource: []string{fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", p.Partition, p.Region, p.AccountID, p.SecretID)},
	}
}

// requiredID reads a required id property: name, which what explains. It
// returns "" when the property is missing or no such id.
func (p *propReader) requiredID(t schema.RoleType, name, what string) string {
	if _, given := p.props[name]; !given {
		p.fail(name, fmt.Sprintf("is required when RoleType is %s: %s", t, what))
		return ""
	}
	before := len(p.errs)
	id := p.str(name, "")
	if len(p.errs) > before {
		return "" // not a string: that is the one error
	}
	if !resourceIDPattern.MatchString(id) {
		p.fail(name, fmt.Sprintf("%q must be %s: 36 letters, digits and hyphens", id, what))
		return ""
	}
	return id
}

// targetApplication reads the required ApplicationId of a role that trusts
// one application: a real id, never *.
func (p *propReader) targetApplication(s *Spec) {
	s.Placeholders.ApplicationID = p.requiredID(s.Type, schema.PropApplicationID,
		"the id of the one Q Business application the role trusts (not *)")
}

// secret reads SecretArn: a Secrets Manager secret of the stack's own
// partition, region and account, since the pages' statement names the
// secret by id in the role's own account and region.
func (p *propReader) secret(s *Spec, stack Stack) {
	arn := p.str(schema.PropSecretArn, "")
	m := secretARNPattern.FindStringSubmatch(arn)
	switch {
	case m == nil && partialSecretARNPattern.MatchString(arn):
		p.fail(schema.PropSecretArn, fmt.Sprintf("%q is a partial ARN: it lacks the hyphen and six characters Secrets Manager appends to the secret's name, "+
			"so a policy naming it grants nothing; give the complete ARN (Ref of an AWS::SecretsManager::Secret, CDK's secretFullArn)", arn))
	case m == nil:
		p.fail(schema.PropSecretArn, fmt.Sprintf("%q is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)", arn))
	case m[1] != stack.Partition || m[2] != stack.Region || m[3] != stack.AccountID:
		p.fail(schema.PropSecretArn, fmt.Sprintf("%q is not a secret of the stack's partition, region and account (%s, %s, %s), the only ones AWS's policy names",
			arn, stack.Partition, stack.Region, stack.AccountID))
	default:
		s.Placeholders.SecretID = m[4]
	}
}

package roles

import (
	"strconv"
	"strings"
	"time"

	"github.com/qbrole/qbrole/internal/schema"
)

// IDKind is what a PhysicalResourceId of Custom::QBusinessRole stands for.
type IDKind int

// The kinds of PhysicalResourceId. The markers hold ':', which no role name
// may, so a marker never names a real role.
const (
	// IDForeign is an id this resource did not make: one CloudFormation made
	// up after a lost response (its log stream name). It names no role.
	IDForeign IDKind = iota
	// IDRole is a role's name: a role qbrole owns, or a service-linked role
	// this resource created.
	IDRole
	// IDAdopted is a service-linked role this resource found in place
	// (adoptedPrefix and the role's name); it is never deleted.
	IDAdopted
	// IDPendingSLR is an earlier version's marker of a service-linked role
	// whose creation it could not prove its own (pendingSLRPrefix and the
	// moment in Unix milliseconds).
	// It is read, never written: nothing may be deleted for it.
	IDPendingSLR
	// IDFailedCreate is the answer of a Create that failed before anything
	// existed (FailedCreateID: failedCreatePrefix and the RequestId).
	IDFailedCreate
	// IDFailedCreateRole is the answer of a Create that failed after it made,
	// or may have made, a role (failedCreateRolePrefix, the moment before its
	// CreateRole in Unix milliseconds, ':' and the role's name): the
	// rollback's Delete removes that role if it carries this resource's tags,
	// whatever OnDelete says, and looks for it as long as IAM may not show a
	// role made at that moment.
	IDFailedCreateRole
)

const (
	adoptedPrefix          = "qbrole:adopted:"
	pendingSLRPrefix       = "qbrole:slr-pending:"
	failedCreatePrefix     = "qbrole:create-failed:"
	failedCreateRolePrefix = "qbrole:create-failed-role:"
)

// PhysicalID is a PhysicalResourceId taken apart.
type PhysicalID struct {
	Kind IDKind
	// RoleName is the role named (IDRole, IDAdopted, IDFailedCreateRole), else "".
	RoleName string
	// Moment is when an IDPendingSLR marker was written, or when the Create
	// of an IDFailedCreateRole sent its CreateRole; else zero.
	Moment time.Time
}

// ParsePhysicalID tells what kind of PhysicalResourceId id is. Every
// decision that depends on an id's kind goes through it.
func ParsePhysicalID(id string) PhysicalID {
	if name, ok := strings.CutPrefix(id, adoptedPrefix); ok && roleNamePattern.MatchString(name) {
		return PhysicalID{Kind: IDAdopted, RoleName: name}
	}
	if ms, ok := strings.CutPrefix(id, pendingSLRPrefix); ok {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			return PhysicalID{Kind: IDPendingSLR}
		}
		return PhysicalID{Kind: IDPendingSLR, Moment: time.UnixMilli(n).UTC()}
	}
	if rest, ok := strings.CutPrefix(id, failedCreateRolePrefix); ok {
		ms, name, _ := strings.Cut(rest, ":")
		n, err := strconv.ParseInt(ms, 10, 64)
		if err == nil && roleNamePattern.MatchString(name) {
			return PhysicalID{Kind: IDFailedCreateRole, RoleName: name, Moment: time.UnixMilli(n).UTC()}
		}
		return PhysicalID{Kind: IDForeign}
	}
	if strings.HasPrefix(id, failedCreatePrefix) {
		return PhysicalID{Kind: IDFailedCreate}
	}
	if roleNamePattern.MatchString(id) {
		return PhysicalID{Kind: IDRole, RoleName: id}
	}
	return PhysicalID{Kind: IDForeign}
}

// FailedCreateID is the PhysicalResourceId of a Create that failed before
// anything existed, for the request requestID: the runner answers with it
// (cfnresource.Runner.FailedCreateID), the rollback's Delete names it, and
// ParsePhysicalID reads it as IDFailedCreate, for which nothing is deleted.
func FailedCreateID(requestID string) string { return failedCreatePrefix + requestID }

// adoptedID is the PhysicalResourceId of a service-linked role this resource
// did not create: a Delete of it never deletes the role.
func adoptedID(roleName string) string { return adoptedPrefix + roleName }

// failedCreateRoleID is the PhysicalResourceId of a Create that failed after
// its CreateRole for roleName, sent at moment, made or may have made the role.
func failedCreateRoleID(moment time.Time, roleName string) string {
	return failedCreateRolePrefix + strconv.FormatInt(moment.UnixMilli(), 10) + ":" + roleName
}

// DeletesNothing reports whether a Delete of the resource under physical
// makes no IAM call at all: only an id that names a role the resource made,
// or may have made (IDRole, IDFailedCreateRole), is deleted; a Create that
// failed before anything existed, an adopted service-linked role and one
// whose creation is pending are left as they are.
func DeletesNothing(physical string) bool {
	k := ParsePhysicalID(physical).Kind
	return k != IDRole && k != IDFailedCreateRole
}

// NamesServiceLinkedRole reports whether physical names the Q Business
// service-linked role, as the id of a resource that made it (IDRole under
// IAM's name for it, in any letter case).
func NamesServiceLinkedRole(physical string) bool {
	id := ParsePhysicalID(physical)
	return id.Kind == IDRole && len(id.RoleName) >= len(schema.ServiceLinkedRoleName) &&
		strings.EqualFold(id.RoleName[:len(schema.ServiceLinkedRoleName)], schema.ServiceLinkedRoleName)
}

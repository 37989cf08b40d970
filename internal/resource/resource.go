// Package resource wires the Custom::QBusinessRole resource together: roles'
// Manager as the Handler of cfnresource's Runner, behind cfnverify's check of
// each request against CloudFormation, its Result as the Runner's, and roles'
// failed-create marker as the Runner's. The Lambda's main and
// CLI, the tests and the bench all build their Runner here, so the function
// and its tests answer alike. It is the only package that knows both the
// domain (internal/roles) and the protocol (internal/cfnresource).
package resource

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/roles"
)

// Handler is m as the Runner calls it: the domain's Result becomes the
// answer's (Answer).
func Handler(m *roles.Manager) cfnresource.Handler {
	return cfnresource.HandlerFunc(func(ctx context.Context, ev cfn.Event) (cfnresource.Result, error) {
		res, err := m.Handle(ctx, ev)
		return Answer(res), err
	})
}

// Answer is the Runner's Result for res: its id (the Runner fills in one when
// res names none), the role's attributes as Data (Arn, RoleName, RoleId: the
// names Fn::GetAtt reads; none when res names no role), its Outcome,
// Changes and Note. On failure the Runner drops Data and writes its own
// Outcome.
func Answer(res roles.Result) cfnresource.Result {
	return cfnresource.Result{PhysicalResourceID: res.PhysicalResourceID, Data: res.Attributes(),
		Outcome: cfnresource.Outcome(res.Outcome), Changes: res.Changes, Note: res.Note}
}

// DeletesNothing reports whether ev is a Delete that makes no IAM call
// (roles.DeletesNothing): a Create that failed before anything existed, an
// adopted service-linked role. Such a Delete may be answered SUCCESS whatever
// else is wrong, so that a rollback cannot fail on it.
func DeletesNothing(ev cfn.Event) bool {
	return ev.RequestType == cfn.RequestDelete && roles.DeletesNothing(ev.PhysicalResourceID)
}

// Checked is h — Handler(m), or a Handler around it — behind v, the check
// of each request against CloudFormation (nil v: none).
//
// v skips the Deletes that make no IAM call (roles.DeletesNothing), so that
// the rollback of a Create that failed at its check cannot fail at its own.
// And a Delete that v let through on the stack's status alone — an id other
// than the resource's current one, a replaced resource's cleanup, which
// CloudFormation's state cannot tie to that id — does not delete the
// account's Q Business service-linked role: it carries no ownership tags to
// tell which resource made it, so such a Delete, genuine or forged, leaves it
// (Outcome skipped; see the README's security model).
func Checked(v *cfnverify.Verifier, h cfnresource.Handler) cfnresource.Handler {
	if v == nil {
		return h
	}
	v.Skip = DeletesNothing
	return cfnverify.Handler(v, cfnresource.HandlerFunc(func(ctx context.Context, ev cfn.Event) (cfnresource.Result, error) {
		if verdict, _ := cfnverify.VerdictOf(ctx); verdict.OldID && roles.NamesServiceLinkedRole(ev.PhysicalResourceID) {
			return Answer(roles.Result{PhysicalResourceID: ev.PhysicalResourceID, Outcome: roles.Skipped}), nil
		}
		return h.Handle(ctx, ev)
	}))
}

// NewRunner is the Runner that answers CloudFormation for h, sending with s
// and logging to logger (nil: slog.Default()); roles names the
// PhysicalResourceId of a Create that failed before anything existed.
func NewRunner(h cfnresource.Handler, s cfnresource.Sender, logger *slog.Logger) *cfnresource.Runner {
	return &cfnresource.Runner{Handler: h, Sender: s, FailedCreateID: roles.FailedCreateID, Logger: logger}
}

// Waiting for IAM: until a new role is visible, until a service-linked
// role's deletion task ends. Every pause goes through internal/wait.

package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/wait"
)

// maxRetryDelay caps the doubling pause between retries.
const maxRetryDelay = 10 * time.Second

// backoff spaces the retries on IAM's eventual consistency: RetryDelay
// first, doubling up to maxRetryDelay.
func (m *Manager) backoff() wait.Backoff {
	return wait.Backoff{Delay: m.retryDelay(), Max: maxRetryDelay}
}

// errNoARNYet is a role IAM shows without its ARN yet.
var errNoARNYet = errors.New("IAM does not give the role's ARN yet")

// waitForRole waits until GetRole sees a role that was just created, with its
// ARN: right after CreateRole, GetRole has been seen to answer the role's
// unique id (AROA…) where the ARN belongs (Terraform's AWS provider waits it
// out; AWS's documentation is silent), and the Arn attribute must be an ARN.
func (m *Manager) waitForRole(ctx context.Context, name string) (*types.Role, error) {
	return m.waitForRoleWithin(ctx, name, m.propagationTimeout())
}

// waitForRoleWithin is waitForRole for at most timeout (one look when it is
// not positive); a role IAM still does not show is errNotFound.
func (m *Manager) waitForRoleWithin(ctx context.Context, name string, timeout time.Duration) (*types.Role, error) {
	var role *types.Role
	notYet := func(err error) bool { return errors.Is(err, errNotFound) || errors.Is(err, errNoARNYet) }
	err := wait.RetryFor(ctx, timeout, m.backoff(), notYet,
		func() error {
			r, err := findRole(ctx, m.IAM, name)
			if err == nil && !strings.HasPrefix(aws.ToString(r.Arn), "arn:") {
				return errNoARNYet
			}
			role = r
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("waiting for IAM role (%s) to become visible: %w", name, err)
	}
	return role, nil
}

// freshWindow is how much longer IAM may not show, or not yet count the tags
// of, a role made at moment: the propagation timeout from then. A moment in
// the future (a forged id, clocks apart) counts as now.
func (m *Manager) freshWindow(moment time.Time) time.Duration {
	if now := time.Now(); moment.After(now) {
		moment = now
	}
	return time.Until(moment.Add(m.propagationTimeout()))
}

// deletionPendingError is a deletion task that has not ended yet: its status
// is NOT_STARTED or IN_PROGRESS.
type deletionPendingError struct{ status types.DeletionTaskStatusType }

func (e *deletionPendingError) Error() string { return "deletion task " + string(e.status) }

// waitForDeletionTask polls task, the deletion of the service-linked role
// name, every PollInterval until it ends: nil when it succeeded, a
// *roleInUseError when it failed, or an error when reading it fails or ctx
// ends first.
func (m *Manager) waitForDeletionTask(ctx context.Context, name, task string) error {
	every := wait.Backoff{Delay: m.pollInterval(), Max: m.pollInterval()}
	pending := func(err error) bool { return errors.As(err, new(*deletionPendingError)) }
	err := wait.Retry(ctx, every, pending, func() error { return m.statusDeletionTask(ctx, name, task) })
	var p *deletionPendingError
	if errors.As(err, &p) {
		return fmt.Errorf("deleting service-linked role (%s): deletion task %s still %s when the function's time ran out; "+
			"IAM carries on with it, retry the delete to see its result", name, task, p.status)
	}
	return err
}

// statusDeletionTask reads the deletion task once: nil when it succeeded, a
// *roleInUseError when it failed, a *deletionPendingError while it runs.
func (m *Manager) statusDeletionTask(ctx context.Context, name, task string) error {
	st, err := m.IAM.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(task)})
	if err != nil {
		return fmt.Errorf("deleting service-linked role (%s): reading deletion task %s: %w", name, task, err)
	}
	switch st.Status {
	case types.DeletionTaskStatusTypeSucceeded:
		return nil
	case types.DeletionTaskStatusTypeFailed:
		return &roleInUseError{usage: usageReason(st.Reason)}
	}
	return &deletionPendingError{status: st.Status}
}

package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

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
	err := retryWhile(ctx, timeout, m.retryDelay(), notYet,
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

// retryWhile calls fn until it succeeds, fails with an error retryable does
// not accept, or timeout (bounded by ctx's deadline) runs out; then it returns
// fn's last error.
func retryWhile(ctx context.Context, timeout, delay time.Duration, retryable func(error) bool, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := fn()
		if err == nil || !retryable(err) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = nextDelay(delay)
	}
}

// maxRetryDelay caps the doubling pause between retries.
const maxRetryDelay = 10 * time.Second

// nextDelay is the pause after one of d: double, at most maxRetryDelay.
func nextDelay(d time.Duration) time.Duration { return min(d*2, maxRetryDelay) }

// freshWindow is how much longer IAM may not show, or not yet count the tags
// of, a role made at moment: the propagation timeout from then. A moment in
// the future (a forged id, clocks apart) counts as now.
func (m *Manager) freshWindow(moment time.Time) time.Duration {
	if now := time.Now(); moment.After(now) {
		moment = now
	}
	return time.Until(moment.Add(m.propagationTimeout()))
}

//go:build integration

package reliability_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
)

// TestCloudFormationReadFaults: the check's first read, at the Create, meets
// each fault of CloudFormation's API. Throttling and 5xx are retried, and an
// attempt that hangs is given up and retried: the lifecycle goes on as
// without the fault. AccessDenied leaves the request unchecked: it is
// answered FAILED, nothing is done in IAM, and CloudFormation's rollback
// Delete (read without fault) deletes nothing. Either way IAM ends where
// CloudFormation believes it is, and every event is answered once.
func TestCloudFormationReadFaults(t *testing.T) {
	cases := []struct {
		fault   cfnapi.Fault
		n       int
		created bool
	}{
		{cfnapi.Throttling, 3, true},
		{cfnapi.InternalFailure, 3, true},
		{cfnapi.Hang, 1, true},
		{cfnapi.AccessDenied, 1, false},
	}
	ctx := context.Background()
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	for _, c := range cases {
		t.Run(string(c.fault), func(t *testing.T) {
			if err := moto.Reset(); err != nil {
				t.Fatal(err)
			}
			r := newRig(moto, rs, "ReadFault", nil, 10*time.Second)
			defer r.close()
			r.cfn.Inject(cfnapi.DescribeStackResource, c.fault, c.n)
			before := len(rs.Puts())
			ok, err := r.driver.Create(appProps)
			if err != nil || ok != c.created {
				t.Fatalf("Create: %v %v, want SUCCESS %v (%s)", ok, err, c.created, lastReason(rs))
			}
			if !c.created && !strings.Contains(rs.Puts()[before].Response.Reason, "AccessDenied") {
				t.Errorf("the unchecked Create's reason: %s", rs.Puts()[before].Response.Reason)
			}
			if _, err := update(appIn)(r.driver); err != nil {
				t.Error(err)
			}
			for _, p := range believedState(ctx, r) {
				t.Error(p)
			}
			if err := r.driver.Delete(); err != nil {
				t.Error(err)
			}
			for _, p := range believedState(ctx, r) {
				t.Error(p)
			}
			if names, _ := roleNames(ctx, r.admin); len(names) != 0 {
				t.Errorf("roles left: %v", names)
			}
			if pending := r.cfn.Pending(cfnapi.DescribeStackResource); pending != 0 {
				t.Errorf("%d faults not met", pending)
			}
			st, _ := r.driver.Stacks.Stack(stackID)
			t.Logf("CloudFormation read fault %s ×%d at the Create: Create %v, %d events, %d reads, stack at rest %s",
				c.fault, c.n, c.created, len(rs.Puts())-before, r.cfn.Reads(), st.StackStatus)
		})
	}
}

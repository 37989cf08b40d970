//go:build integration

package reliability_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
)

// TestForgedEventsInAnotherResourcesWindow (regressions from the review of
// issue 19): forged events naming a stack in a window CloudFormation really
// shows, which CloudFormation would never send; the first version of the
// check let each through:
//
//   - the Delete names the stack's *current* physical id while the stack
//     merely cleans up after an unrelated update (CloudFormation's cleanup
//     Deletes name the old id: "If the value returned is different, AWS
//     CloudFormation recognizes the update as a replacement and sends a
//     delete request to the old resource", crpg-ref-requesttypes-delete);
//   - the event's ResourceType differs from the described one ("You can't
//     change the type during an update", crpg-ref-requesttypes-update);
//   - the account-wide service-linked role, which carries no ownership tags,
//     deleted through any stack's deletion window.
//
// Each is refused with IAM unchanged. A cleanup's Delete naming the
// service-linked role, which the check cannot tell from CloudFormation's
// own, is let through and leaves the role (resource.Checked).
func TestForgedEventsInAnotherResourcesWindow(t *testing.T) {
	props := map[string]any{"RoleName": "qbusiness-window-victim"}
	r, rs := newVictim(t, props)
	victim := r.driver
	// The account's Q Business service-linked role, made by a resource of a
	// third stack.
	slrStack := strings.Replace(stackID, "/reliability/", "/slr-app/", 1)
	slrDriver := *victim
	slrDriver.StackID, slrDriver.LogicalID, slrDriver.Physical = slrStack, "QBusinessSLR", ""
	if ok, err := slrDriver.Create(map[string]any{"RoleType": "ServiceLinkedRole"}); !ok || err != nil {
		t.Fatalf("create the service-linked role: %v %v %s", ok, err, lastReason(rs))
	}
	t.Logf("victim %s, service-linked role %s", victim.Physical, slrDriver.Physical)

	// An unrelated CDK stack whose own custom resource (another provider's)
	// is being deleted / created: any stack of the account will do.
	cdkStack := strings.Replace(stackID, "/reliability/", "/cdk-app/", 1)
	otherCustom := func(stackStatus, resStatus string) func(*cfnsim.Stacks) {
		return func(s *cfnsim.Stacks) {
			s.PutResource(cfnsim.Resource{StackID: cdkStack, LogicalResourceID: "CustomS3AutoDeleteObjects",
				ResourceType: "Custom::S3AutoDeleteObjects", ResourceStatus: resStatus, PhysicalResourceID: "auto-delete-1"})
			s.Put(cdkStack, stackStatus)
		}
	}
	hand(t, r, rs, props, []forgery{
		{name: "Delete of the victim's live role while its stack cleans up after an unrelated update", before: func(s *cfnsim.Stacks) {
			// The victim's resource untouched by the update: UPDATE_COMPLETE under its id.
			s.Put(victim.StackID, cfnsim.UpdateCompleteCleanupInProgress)
		}, event: map[string]any{"RequestType": "Delete"}},
		{name: "Delete of the account's service-linked role through another provider's resource of a stack being deleted",
			before: otherCustom(cfnsim.DeleteInProgress, cfnsim.DeleteInProgress), event: map[string]any{"RequestType": "Delete",
				"StackId": cdkStack, "LogicalResourceId": "CustomS3AutoDeleteObjects", "PhysicalResourceId": slrDriver.Physical}},
		{name: "Create of a role under another provider's resource being created (never deleted by anyone)",
			before: otherCustom(cfnsim.CreateInProgress, cfnsim.CreateInProgress), event: map[string]any{"RequestType": "Create",
				"StackId": cdkStack, "LogicalResourceId": "CustomS3AutoDeleteObjects",
				"ResourceProperties": map[string]any{"RoleName": "qbusiness-window-orphan", "MaxSessionDuration": "43200"}}},
		{name: "Create under the victim's logical id while the victim's stack deletes it", before: func(s *cfnsim.Stacks) {
			s.Sent(victim.StackID, victim.LogicalID, schema.ResourceType, cfn.RequestDelete, victim.Physical)
		}, event: map[string]any{"RequestType": "Create", "ResourceProperties": map[string]any{"RoleName": "qbusiness-window-orphan2"}}},
		{name: "Delete of the victim's live role in another letter case while its stack cleans up", before: func(s *cfnsim.Stacks) {
			s.PutResource(cfnsim.Resource{StackID: victim.StackID, LogicalResourceID: victim.LogicalID, ResourceType: schema.ResourceType,
				ResourceStatus: cfnsim.UpdateComplete, PhysicalResourceID: victim.Physical})
			s.Put(victim.StackID, cfnsim.UpdateCompleteCleanupInProgress)
		}, event: map[string]any{"RequestType": "Delete", "PhysicalResourceId": strings.ToUpper(victim.Physical)}},
		{name: "Delete naming the service-linked role as an old id while the victim's stack cleans up", before: func(s *cfnsim.Stacks) {
			s.PutResource(cfnsim.Resource{StackID: victim.StackID, LogicalResourceID: victim.LogicalID, ResourceType: schema.ResourceType,
				ResourceStatus: cfnsim.UpdateComplete, PhysicalResourceID: victim.Physical})
			s.Put(victim.StackID, cfnsim.UpdateCompleteCleanupInProgress)
		}, letThrough: true, event: map[string]any{"RequestType": "Delete", "PhysicalResourceId": slrDriver.Physical,
			"ResourceProperties": map[string]any{"RoleType": "ServiceLinkedRole"}}},
	})
}

// TestReadDeniedDoesNotStickTheRollback (a regression from the review of
// issue 19): in the upgrade window, where the function's reads are denied
// until IAM has the policy, a stack being created fails and rolls back. The
// rollback's Delete names the failed Create's marker, which makes no IAM
// call: it is not read (resource.Checked), so the stack does not end in
// ROLLBACK_FAILED.
func TestReadDeniedDoesNotStickTheRollback(t *testing.T) {
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	r := newRig(moto, rs, "UpgradeWindow", nil, 3*time.Second)
	defer r.close()
	// The Create's read and the two rollback Deletes' reads are all in the window.
	r.cfn.Inject("DescribeStackResource", "AccessDenied", 3)
	ok, err := r.driver.Create(map[string]any{"RoleName": "qbusiness-upgrade-window"})
	st, _ := r.cfn.Stacks().Stack(stackID)
	t.Logf("create ok=%v err=%v; stack %s", ok, err, st.StackStatus)
	if err != nil || st.StackStatus == cfnsim.RollbackFailed {
		t.Errorf("a rollback Delete that would do nothing in IAM failed on the check: %v (stack %s)", err, st.StackStatus)
	}
}

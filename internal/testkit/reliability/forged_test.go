//go:build integration

package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
)

// forgery is an event someone who may invoke the function hands it, and how
// CloudFormation stands meanwhile.
type forgery struct {
	name string
	// event is the event's fields over a copy of the victim's Update.
	event map[string]any
	// before sets CloudFormation's state for the forgery (nil: as it is).
	before func(*cfnsim.Stacks)
	// unread: refused before CloudFormation is read.
	unread bool
	// letThrough: let through, and changes nothing.
	letThrough bool
}

// TestForgedEventsAreRefused hands the function events CloudFormation did
// not send, each aimed at a role a stack owns — as anyone allowed
// lambda:InvokeFunction could — with the check of each request against
// CloudFormation on (cfnverify, reading the CloudFormation double): every
// one is answered FAILED with a reason saying it was refused, IAM makes no
// write for it (the authorizing proxy sees none), and every role is as it
// was. The same lifecycles pass when CloudFormation sends them (every other
// test of this package runs with the check on).
func TestForgedEventsAreRefused(t *testing.T) {
	props := map[string]any{"RoleName": "qbusiness-forged-victim", "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}
	r, rs := newVictim(t, props)
	victim := r.driver
	// A stack that was deleted, whose role was retained: it still carries
	// that stack's tags.
	deleted := *victim
	deleted.StackID, deleted.LogicalID, deleted.Physical = strings.Replace(stackID, "/reliability/", "/deleted-app/", 1), "KeptRole", ""
	kept := map[string]any{"RoleName": "qbusiness-forged-kept", "OnDelete": "Retain"}
	if ok, err := deleted.Create(kept); !ok || err != nil {
		t.Fatalf("create the retained role: %v %v %s", ok, err, lastReason(rs))
	}
	if err := deleted.Delete(); err != nil {
		t.Fatal(err)
	}
	bucketStack := strings.Replace(stackID, "/reliability/", "/bucket-app/", 1)

	hand(t, r, rs, props, forgeries(victim.StackID, deleted.StackID, bucketStack))
	fmt.Printf("forged events: %d, each refused with no IAM write and IAM unchanged\n", len(forgeries("", "", "")))
}

// newVictim is a rig on a reset moto whose resource VictimRole holds the
// role props describe.
func newVictim(t *testing.T, props map[string]any) (*rig, *cfntest.ResponseServer) {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	rs := cfntest.NewResponseServer()
	t.Cleanup(rs.Close)
	r := newRig(moto, rs, "VictimRole", nil, 10*time.Second)
	t.Cleanup(r.close)
	if ok, err := r.driver.Create(props); !ok || err != nil {
		t.Fatalf("create the victim's role: %v %v %s", ok, err, lastReason(rs))
	}
	return r, rs
}

// hand gives r's function each forgery, over the victim's Update with the
// old properties props, as its own subtest: it is refused (or, letThrough,
// answered SUCCESS), IAM makes no write for it, every role is as it was, and
// one refused on its face is refused unread.
func hand(t *testing.T, r *rig, rs *cfntest.ResponseServer, props map[string]any, fs []forgery) {
	ctx := context.Background()
	for _, f := range fs {
		t.Run(f.name, func(t *testing.T) {
			if f.before != nil {
				f.before(r.cfn.Stacks())
			}
			ev := forgedEvent(r.driver, props, f.event)
			before := allRoles(ctx, t, r)
			writes, reads := iamWrites(), len(r.cfn.Calls())
			resp := invoke(t, r, rs, ev)
			if f.letThrough && resp.Status != cfn.StatusSuccess {
				t.Errorf("answered %s %q, want SUCCESS changing nothing", resp.Status, resp.Reason)
			} else if !f.letThrough && (resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, cfnverify.ErrRefused.Error())) {
				t.Errorf("answered %s: %s", resp.Status, resp.Reason)
			}
			if n := iamWrites() - writes; n != 0 {
				t.Errorf("%d IAM writes for a forged event", n)
			}
			if after := allRoles(ctx, t, r); !maps.Equal(before, after) {
				t.Errorf("IAM changed:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
			if read := len(r.cfn.Calls()) - reads; f.unread && read != 0 {
				t.Errorf("read CloudFormation %d times for an event refused on its face", read)
			}
		})
	}
}

func forgeries(victimStack, deletedStack, bucketStack string) []forgery {
	otherAccount := strings.Replace(victimStack, ":123456789012:", ":210987654321:", 1)
	otherRegion := strings.Replace(victimStack, ":us-east-1:", ":eu-west-1:", 1)
	inProgress := func(s *cfnsim.Stacks) {
		s.Sent(victimStack, "VictimRole", schema.ResourceType, cfn.RequestUpdate, "qbusiness-forged-victim")
	}
	return []forgery{
		{name: "Delete of another stack's role, the stack at rest", event: map[string]any{"RequestType": "Delete",
			"ResourceProperties": map[string]any{"RoleName": "qbusiness-forged-victim"}}},
		{name: "Update of another stack's role, the stack at rest: boundary dropped, session longer", event: map[string]any{
			"ResourceProperties": map[string]any{"RoleName": "qbusiness-forged-victim", "MaxSessionDuration": "43200"}}},
		{name: "Update replacing another stack's role (a new name; the old one deleted in the cleanup)", event: map[string]any{
			"ResourceProperties": map[string]any{"RoleName": "qbusiness-forged-replacement"}}},
		{name: "Create under another stack's logical id, the resource at rest", event: map[string]any{"RequestType": "Create"}},
		{name: "Create claiming a name under a logical id the stack does not have", event: map[string]any{"RequestType": "Create",
			"LogicalResourceId": "Claim", "ResourceProperties": map[string]any{"RoleName": "qbusiness-forged-claim"}}},
		{name: "Delete of a retained role of a deleted stack", event: map[string]any{"RequestType": "Delete", "StackId": deletedStack,
			"LogicalResourceId": "KeptRole", "PhysicalResourceId": "qbusiness-forged-kept",
			"ResourceProperties": map[string]any{"RoleName": "qbusiness-forged-kept", "OnDelete": "Delete"}}},
		{name: "Update naming a resource that is not a custom resource, being updated", before: func(s *cfnsim.Stacks) {
			s.PutResource(cfnsim.Resource{StackID: bucketStack, LogicalResourceID: "Bucket", ResourceType: "AWS::S3::Bucket",
				ResourceStatus: cfnsim.UpdateInProgress, PhysicalResourceID: "qbusiness-forged-victim"})
			s.Put(bucketStack, cfnsim.UpdateInProgress)
		}, event: map[string]any{"StackId": bucketStack, "LogicalResourceId": "Bucket",
			"ResourceProperties": map[string]any{"RoleName": "qbusiness-forged-victim", "MaxSessionDuration": "43200"}}},
		{name: "Update with another function's ServiceToken, the stack being updated", before: inProgress, unread: true, event: map[string]any{
			"ServiceToken": cfnsim.ServiceToken + "-other", "ResourceProperties": map[string]any{
				schema.PropServiceToken: cfnsim.ServiceToken + "-other", "RoleName": "qbusiness-forged-victim", "MaxSessionDuration": "43200"}}},
		{name: "Delete naming a stack of another account", unread: true, event: map[string]any{"RequestType": "Delete", "StackId": otherAccount}},
		{name: "Delete naming a stack of another Region", unread: true, event: map[string]any{"RequestType": "Delete", "StackId": otherRegion}},
		{name: "Delete naming the stack by name", unread: true, event: map[string]any{"RequestType": "Delete", "StackId": "reliability"}},
	}
}

// forgedEvent is an Update of the victim's resource, as CloudFormation
// would send it, with over's fields instead; ResourceProperties gets the
// victim's ServiceToken unless over names one.
func forgedEvent(victim *cfnsim.Driver, old, over map[string]any) map[string]any {
	ev := map[string]any{"RequestType": "Update", "ServiceToken": cfnsim.ServiceToken, "StackId": victim.StackID,
		"LogicalResourceId": victim.LogicalID, "PhysicalResourceId": victim.Physical, "ResourceType": schema.ResourceType,
		"ResourceProperties": map[string]any{}, "OldResourceProperties": withServiceToken(old)}
	maps.Copy(ev, over)
	ev["ResourceProperties"] = withServiceToken(ev["ResourceProperties"].(map[string]any))
	if ev["RequestType"] == "Create" {
		delete(ev, "PhysicalResourceId")
	}
	return ev
}

func withServiceToken(props map[string]any) map[string]any {
	out := map[string]any{schema.PropServiceToken: cfnsim.ServiceToken}
	maps.Copy(out, props)
	return out
}

var forgedRequests int

// invoke hands ev to the rig's function and returns its one answer.
func invoke(t *testing.T, r *rig, rs *cfntest.ResponseServer, ev map[string]any) cfn.Response {
	t.Helper()
	forgedRequests++
	id := fmt.Sprintf("forged-%d", forgedRequests)
	ev["RequestId"], ev["ResponseURL"] = id, rs.ResponseURL(id)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.driver.Invoke(ctx, raw); err != nil {
		t.Fatal(err)
	}
	got := rs.ForRequest(id)
	if len(got) != 1 {
		t.Fatalf("%d answers", len(got))
	}
	return got[0]
}

// allRoles is every role in IAM by name, as rolestest.Snapshot describes it.
func allRoles(ctx context.Context, t *testing.T, r *rig) map[string]string {
	t.Helper()
	names, err := roleNames(ctx, r.admin)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		out[n] = rolestest.Snapshot(ctx, r.admin, n)
	}
	return out
}

// iamWrites counts the IAM calls the authorizing proxy judged that are not
// reads (Get…, List…).
func iamWrites() int {
	n := 0
	for _, d := range authz.Proxy(moto).Decisions() {
		if d.Inside && strings.HasPrefix(d.Action, "iam:") && !strings.HasPrefix(d.Request, "Get") && !strings.HasPrefix(d.Request, "List") {
			n++
		}
	}
	return n
}

// TestFaultsOnTheReadAreAnsweredFailed: when CloudFormation cannot be read
// for a request it did send — throttled past every retry, denied, failing,
// or never answering — the request is answered FAILED within its time
// budget, saying it could not be checked, and nothing is done in IAM.
// (Passing faults, retried: TestCloudFormationReadFaults.)
func TestFaultsOnTheReadAreAnsweredFailed(t *testing.T) {
	const budget = 3 * time.Second
	ctx := context.Background()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	for _, c := range []struct {
		fault  cfnapi.Fault
		reason string
	}{
		{cfnapi.Throttling, "checking the request against CloudFormation (DescribeStackResource"},
		{cfnapi.AccessDenied, "AccessDenied"},
		{cfnapi.InternalFailure, "InternalFailure"},
		{cfnapi.Hang, "time"},
	} {
		t.Run(string(c.fault), func(t *testing.T) {
			r := newRig(moto, rs, "ReadFault", nil, budget)
			defer r.close()
			name := fmt.Sprintf("qbusiness-readfault-%d", forgedRequests)
			ev := map[string]any{"RequestType": "Create", "ServiceToken": cfnsim.ServiceToken, "StackId": stackID,
				"LogicalResourceId": "ReadFault", "ResourceType": schema.ResourceType,
				"ResourceProperties": withServiceToken(map[string]any{"RoleName": name, "ServiceTimeout": "3"})}
			r.cfn.Stacks().Sent(stackID, "ReadFault", schema.ResourceType, cfn.RequestCreate, "")
			r.cfn.Inject(cfnapi.DescribeStackResource, c.fault, 1000) // every read fails
			before, writes := allRoles(ctx, t, r), iamWrites()
			start := time.Now()
			resp := invoke(t, r, rs, ev)
			took := time.Since(start)
			if took > budget {
				t.Errorf("answered after %v, over the budget of %v", took, budget)
			}
			if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, c.reason) || strings.Contains(resp.Reason, "refused") {
				t.Errorf("answered %s: %q, want FAILED saying %q, not a refusal", resp.Status, resp.Reason, c.reason)
			}
			if n := iamWrites() - writes; n != 0 {
				t.Errorf("%d IAM writes for a request that could not be checked", n)
			}
			if after := allRoles(ctx, t, r); !maps.Equal(before, after) {
				t.Errorf("IAM changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

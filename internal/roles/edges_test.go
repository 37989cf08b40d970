package roles

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/wait"
)

// Every limit is accepted at its edge and refused one past it, so that a
// limit cannot drift by one without a test noticing.
func TestPropertyLimitsAtTheirEdges(t *testing.T) {
	boundary := func(n int) string {
		const prefix = "arn:aws:iam::123456789012:policy/"
		return prefix + strings.Repeat("b", n-len(prefix))
	}
	tagsWithValue := func(v string) []any { return []any{map[string]any{"Key": "k", "Value": v}} }
	cases := []struct {
		property   string
		atLimit    any
		pastLimit  any
		underLimit any // the lower edge, where there is one
		belowLimit any
	}{
		{"MaxSessionDuration", "43200", "43201", 3600.0, 3599.0},
		{"Description", strings.Repeat("é", 1000), strings.Repeat("é", 1001), nil, nil},
		{"Path", "/" + strings.Repeat("p", 510) + "/", "/" + strings.Repeat("p", 511) + "/", nil, nil},
		{"PermissionsBoundary", boundary(2048), boundary(2049), nil, nil},
		{"SubscriptionId", strings.Repeat("s", 1034), strings.Repeat("s", 1035), nil, nil},
		{"RoleName", strings.Repeat("r", 64), strings.Repeat("r", 65), "r", ""},
		{"PolicyName", strings.Repeat("p", 128), strings.Repeat("p", 129), "p", ""},
		{"Tags", tags(48), tags(49), nil, nil},
		{"Tags[0].Value", tagsWithValue(strings.Repeat("v", 256)), tagsWithValue(strings.Repeat("v", 257)), nil, nil},
	}
	for _, c := range cases {
		prop := strings.SplitN(c.property, "[", 2)[0]
		check := func(name string, v any, ok bool) {
			t.Run(c.property+" "+name, func(t *testing.T) {
				_, err := ParseSpec(map[string]any{prop: v}, testStack, "AppRole")
				if ok && err != nil {
					t.Errorf("refused: %v", err)
				}
				if !ok && (err == nil || !strings.Contains(err.Error(), c.property+": ")) {
					t.Errorf("error %v, want one naming %s", err, c.property)
				}
			})
		}
		check("at the upper limit", c.atLimit, true)
		check("past the upper limit", c.pastLimit, false)
		if c.underLimit != nil {
			check("at the lower limit", c.underLimit, true)
			check("below the lower limit", c.belowLimit, false)
		}
	}
}

// The Tags limit says what it is.
func TestTooManyTagsMessage(t *testing.T) {
	_, err := ParseSpec(map[string]any{"Tags": tags(49)}, testStack, "AppRole")
	want := "Tags: at most 48 tags (IAM allows 50; qbrole adds 2 ownership tags), not 49"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}

// The generated name uses the whole budget of 64 characters, and cuts the
// stack name and logical id only past it, each keeping at least half.
func TestGeneratedRoleNameBudget(t *testing.T) {
	const budget = 64 - len("QBusiness") - 12 - 3
	cases := []struct {
		name           string
		stack, logical int // lengths
		keptStack      int
		keptLogical    int
	}{
		{"exactly the budget", budget - 7, 7, budget - 7, 7},
		{"one past it: the stack name gives way", budget - 6, 7, budget - 7, 7},
		{"long logical id, short stack name", 10, 200, 10, budget - 10},
		{"both long: half each", 100, 100, budget / 2, budget / 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stack := Stack{ID: testStack.ID, Name: strings.Repeat("S", c.stack)}
			got := GeneratedRoleName(stack, strings.Repeat("L", c.logical), "req-1")
			want := strings.Repeat("S", c.keptStack) + "-" + strings.Repeat("L", c.keptLogical) + "-QBusiness-"
			if !strings.HasPrefix(got, want) || len(got) != len(want)+12 {
				t.Errorf("%q (%d), want %q and a 12-character suffix", got, len(got), want)
			}
		})
	}
}

// The pause between retries starts at RetryDelay and doubles up to 10 s
// (internal/wait's tests check that a Backoff does so).
func TestRetryBackoffIsCapped(t *testing.T) {
	cases := []struct {
		m    Manager
		want wait.Backoff
	}{
		{Manager{}, wait.Backoff{Delay: time.Second, Max: 10 * time.Second}},
		{Manager{RetryDelay: 3 * time.Millisecond}, wait.Backoff{Delay: 3 * time.Millisecond, Max: 10 * time.Second}},
	}
	for _, c := range cases {
		if got := c.m.backoff(); got != c.want {
			t.Errorf("backoff() = %+v, want %+v", got, c.want)
		}
	}
}

// A Manager's zero timings take the defaults, and set ones are kept.
func TestManagerTimings(t *testing.T) {
	var zero Manager
	if zero.propagationTimeout() != DefaultPropagationTimeout || zero.retryDelay() != DefaultRetryDelay || zero.pollInterval() != DefaultPollInterval {
		t.Errorf("zero Manager: %v %v %v", zero.propagationTimeout(), zero.retryDelay(), zero.pollInterval())
	}
	set := Manager{PropagationTimeout: time.Nanosecond, RetryDelay: time.Nanosecond, PollInterval: time.Nanosecond}
	if set.propagationTimeout() != time.Nanosecond || set.retryDelay() != time.Nanosecond || set.pollInterval() != time.Nanosecond {
		t.Errorf("set Manager: %v %v %v", set.propagationTimeout(), set.retryDelay(), set.pollInterval())
	}
	for _, c := range []struct {
		cleanup, want time.Duration
	}{{0, DefaultCleanupTimeout}, {time.Hour, time.Hour}} {
		ctx, cancel := (&Manager{CleanupTimeout: c.cleanup}).cleanupContext(context.Background())
		deadline, _ := ctx.Deadline()
		cancel()
		if left := time.Until(deadline); left > c.want || left < c.want-time.Second {
			t.Errorf("CleanupTimeout %v: %v left, want about %v", c.cleanup, left, c.want)
		}
	}
}

// A replacement that fails after its CreateRole removes the new role again
// (CloudFormation keeps the old id and would never delete it), only if it is
// still this resource's, and answers with the old id.
func TestFailedReplacementCleansUp(t *testing.T) {
	cases := []struct {
		name       string
		owned      bool  // the new role carries this resource's tags
		deleteErr  error // DeleteRole's answer
		wantDelete bool
		wantErr    string
		changes    []string // the log line's: the new role, and its deletion when done
	}{
		{"the new role is deleted", true, nil, true, "putting policy", []string{"role", "role (deleted)"}},
		{"cleanup fails too: both errors", true, apiErr("ServiceFailure", "down"), true, "cleaning up replacement role", []string{"role"}},
		{"someone else's by then: left alone", false, nil, false, "putting policy", []string{"role"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var deleted []string
			f := &fakeIAM{
				createRole: func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) { return &iam.CreateRoleOutput{}, nil },
				getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
					r := ownedRole(*in.RoleName)
					if !c.owned && *in.RoleName == "new" {
						r.Tags = nil
					}
					return &iam.GetRoleOutput{Role: r}, nil
				},
				putRolePolicy: func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error) {
					return nil, apiErr("ServiceFailure", "boom")
				},
				listRolePolicies: func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
					return &iam.ListRolePoliciesOutput{}, nil
				},
				deleteRole: func(in *iam.DeleteRoleInput) (*iam.DeleteRoleOutput, error) {
					deleted = append(deleted, *in.RoleName)
					return &iam.DeleteRoleOutput{}, c.deleteErr
				},
			}
			ev := newEvent(cfn.RequestUpdate, map[string]any{"RoleName": "new"})
			ev.PhysicalResourceID = "old"
			ev.OldResourceProperties = map[string]any{"RoleName": "old"}
			res, err := fastManager(f).Handle(context.Background(), ev)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %v, want one saying %q", err, c.wantErr)
			}
			// The failure names no id and no role: the runner answers FAILED
			// with the request's own id, old.
			if res.PhysicalResourceID != "" || res.Attributes() != nil || res.Outcome != "" {
				t.Errorf("result %+v, want a failure naming nothing (answered with the old id)", res)
			}
			if got := len(deleted) > 0 && deleted[0] == "new"; got != c.wantDelete {
				t.Errorf("deleted %v, want the new role deleted: %v", deleted, c.wantDelete)
			}
			if !slices.Equal(res.Changes, c.changes) {
				t.Errorf("changes %q, want %q", res.Changes, c.changes)
			}
		})
	}
}

// An adopted service-linked role is read on Update, never written: the
// outcome says it is adopted (not "unchanged", which would say it matched),
// and a Description it does not have is noted as not applied.
func TestUpdateOfAdoptedServiceLinkedRole(t *testing.T) {
	cases := []struct {
		name        string
		description string // the role's in IAM
		getErr      error
		outcome     Outcome
		note        string
	}{
		{"Description differs: adopted, not applied, noted", "made by Q Business", nil, Adopted,
			`Description "changed" not applied: the service-linked role AWSServiceRoleForQBusiness is adopted, not this resource's`},
		{"Description matches: adopted, no note", "changed", nil, Adopted, ""},
		// A failure has no Outcome and names no id: the runner answers FAILED
		// with the request's own id.
		{"reading fails: failed, nothing written", "", apiErr("Throttling", "Rate exceeded"), "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			slr := &types.Role{RoleName: aws.String("AWSServiceRoleForQBusiness"), Path: aws.String(schema.ServiceLinkedRolePath),
				Arn: aws.String("arn"), RoleId: aws.String("id"), Description: aws.String(c.description)}
			f := &fakeIAM{getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
				if *in.RoleName != "AWSServiceRoleForQBusiness" {
					t.Errorf("GetRole(%s)", *in.RoleName)
				}
				if c.getErr != nil {
					return nil, c.getErr
				}
				return &iam.GetRoleOutput{Role: slr}, nil
			}}
			props := map[string]any{"RoleType": "ServiceLinkedRole", "Description": "changed"}
			ev := newEvent(cfn.RequestUpdate, props)
			ev.PhysicalResourceID = adoptedID("AWSServiceRoleForQBusiness")
			ev.OldResourceProperties = map[string]any{"RoleType": "ServiceLinkedRole"}
			res, err := fastManager(f).Handle(context.Background(), ev)
			wantID := ev.PhysicalResourceID
			if c.getErr != nil {
				wantID = ""
			}
			if res.Outcome != c.outcome || res.PhysicalResourceID != wantID || (err != nil) != (c.getErr != nil) {
				t.Errorf("result %+v, error %v; want %s keeping the adopted id", res, err, c.outcome)
			}
			if !strings.Contains(res.Note, c.note) || (c.note == "") != (res.Note == "") {
				t.Errorf("note %q, want %q", res.Note, c.note)
			}
			if calls := f.Calls(); len(calls) != 1 {
				t.Errorf("calls %v, want one GetRole", calls)
			}
		})
	}
}

func TestUsageReason(t *testing.T) {
	cases := []struct {
		name   string
		reason *types.DeletionTaskFailureReasonType
		want   string
	}{
		{"none given", nil, "no reason given"},
		{"empty", &types.DeletionTaskFailureReasonType{}, "no reason given"},
		{"reason, no usage list", &types.DeletionTaskFailureReasonType{Reason: aws.String("in use")}, "in use"},
		{"reason and usage", &types.DeletionTaskFailureReasonType{Reason: aws.String("in use"), RoleUsageList: []types.RoleUsageType{
			{Region: aws.String("us-east-1"), Resources: []string{"a1", "a2"}}, {Region: aws.String("eu-west-1"), Resources: []string{"b"}},
		}}, "in use; still used by: us-east-1: a1, a2; eu-west-1: b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := usageReason(c.reason); got != c.want {
				t.Errorf("usageReason = %q, want %q", got, c.want)
			}
		})
	}
}

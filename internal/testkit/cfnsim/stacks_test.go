package cfnsim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
)

const testStack = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/0f0e0d0c-0b0a-4909-8807-060504030201"

// answer is the function's answer to one request: SUCCESS with id, or FAILED.
type answer struct {
	ok bool
	id string
}

// seen is what CloudFormation showed while a request was being handled.
type seen struct {
	request                     cfn.RequestType
	stack, resource, physicalID string
}

func (s seen) String() string {
	return fmt.Sprintf("%s: stack %s, resource %s %q", s.request, s.stack, s.resource, s.physicalID)
}

// scripted drives one resource through d's operations, the function
// answering each request with the next answer, and returns what the stack
// model showed during each request.
func scripted(t *testing.T, stacks *cfnsim.Stacks, answers []answer, ops func(d *cfnsim.Driver)) []seen {
	t.Helper()
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	var mu sync.Mutex
	var got []seen
	h := cfnresource.HandlerFunc(func(_ context.Context, ev cfn.Event) (cfnresource.Result, error) {
		st, _ := stacks.Stack(ev.StackID)
		res, _ := stacks.Resource(ev.StackID, ev.LogicalResourceID)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{ev.RequestType, st.StackStatus, res.ResourceStatus, res.PhysicalResourceID})
		if len(answers) == 0 {
			t.Fatalf("request %d (%s): no answer scripted", len(got), ev.RequestType)
		}
		a := answers[0]
		answers = answers[1:]
		if !a.ok {
			return cfnresource.Result{Outcome: "failed"}, errors.New("scripted failure")
		}
		return cfnresource.Result{PhysicalResourceID: a.id, Outcome: "done"}, nil
	})
	runner := &cfnresource.Runner{Handler: h, Sender: &cfnresource.HTTPSender{AllowLoopback: true, Backoff: time.Millisecond},
		FailedCreateID: func(id string) string { return "failed-create" }, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	d := &cfnsim.Driver{Invoke: func(ctx context.Context, ev []byte) error { _, err := runner.Run(ctx, ev); return err },
		Responses: rs, StackID: testStack, LogicalID: "R", Timeout: 5 * time.Second, Stacks: stacks}
	ops(d)
	if len(answers) > 0 {
		t.Errorf("%d scripted answers left", len(answers))
	}
	return got
}

var (
	ok      = func(id string) answer { return answer{true, id} }
	failure = answer{}
	props   = map[string]any{"Name": "x"}
)

func create(d *cfnsim.Driver)  { _, _ = d.Create(props) }
func update(d *cfnsim.Driver)  { _, _ = d.Update(props) }
func remove(d *cfnsim.Driver)  { _ = d.Delete() }
func takeOut(d *cfnsim.Driver) { _ = d.Remove() }

func ops(fns ...func(*cfnsim.Driver)) func(*cfnsim.Driver) {
	return func(d *cfnsim.Driver) {
		for _, f := range fns {
			f(d)
		}
	}
}

// The statuses CloudFormation shows while each request is handled, and where
// the stack and the resource come to rest, for each sequence of requests and
// answers the driver knows.
func TestStackStatusesAroundEachRequest(t *testing.T) {
	const (
		cip, cc, cf    = cfnsim.CreateInProgress, cfnsim.CreateComplete, cfnsim.CreateFailed
		uip, uc, uf    = cfnsim.UpdateInProgress, cfnsim.UpdateComplete, cfnsim.UpdateFailed
		ucc, urip      = cfnsim.UpdateCompleteCleanupInProgress, cfnsim.UpdateRollbackInProgress
		urcc, urc, urf = cfnsim.UpdateRollbackCompleteCleanupInProgress, cfnsim.UpdateRollbackComplete, cfnsim.UpdateRollbackFailed
		rip, rc        = cfnsim.RollbackInProgress, cfnsim.RollbackComplete
		dip, dc, df    = cfnsim.DeleteInProgress, cfnsim.DeleteComplete, cfnsim.DeleteFailed
		C, U, D        = cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete
	)
	cases := []struct {
		name string
		// existing: the stack exists (UPDATE_COMPLETE) before the first Create.
		existing bool
		answers  []answer
		ops      func(*cfnsim.Driver)
		want     []seen
		// rest: the stack's status, the resource's and its physical id at the end.
		rest [3]string
	}{
		{"new stack: Create", false, []answer{ok("a")}, ops(create),
			[]seen{{C, cip, cip, ""}}, [3]string{cc, cc, "a"}},
		{"stack update adds the resource: Create", true, []answer{ok("a")}, ops(create),
			[]seen{{C, uip, cip, ""}}, [3]string{uc, cc, "a"}},
		{"new stack: Create fails, rollback Delete", false, []answer{failure, ok("")}, ops(create),
			[]seen{{C, cip, cip, ""}, {D, rip, dip, "failed-create"}}, [3]string{rc, dc, "failed-create"}},
		{"new stack: Create and rollback fail (ROLLBACK_FAILED), the operator deletes the stack", false,
			[]answer{failure, failure, ok("")}, ops(create),
			[]seen{{C, cip, cip, ""}, {D, rip, dip, "failed-create"}, {D, dip, dip, "failed-create"}}, [3]string{dc, dc, "failed-create"}},
		{"stack update adds the resource: Create fails, its Delete in the rollback's cleanup", true, []answer{failure, ok("")}, ops(create),
			[]seen{{C, uip, cip, ""}, {D, urcc, dip, "failed-create"}}, [3]string{urc, dc, "failed-create"}},
		{"Update in place", false, []answer{ok("a"), ok("a")}, ops(create, update),
			[]seen{{C, cip, cip, ""}, {U, uip, uip, "a"}}, [3]string{uc, uc, "a"}},
		{"Update replaces: the old id's cleanup shows only in the stack's status", false,
			[]answer{ok("a"), ok("b"), ok("")}, ops(create, update),
			[]seen{{C, cip, cip, ""}, {U, uip, uip, "a"}, {D, ucc, uc, "b"}}, [3]string{uc, uc, "b"}},
		{"Update replaces, the cleanup fails three times (given up)", false,
			[]answer{ok("a"), ok("b"), failure, failure, failure}, ops(create, update),
			[]seen{{C, cip, cip, ""}, {U, uip, uip, "a"}, {D, ucc, uc, "b"}, {D, ucc, uc, "b"}, {D, ucc, uc, "b"}}, [3]string{uc, uc, "b"}},
		{"Update fails, rollback Update", false, []answer{ok("a"), failure, ok("a")}, ops(create, update),
			[]seen{{C, cip, cip, ""}, {U, uip, uip, "a"}, {U, urip, uip, "a"}}, [3]string{urc, uc, "a"}},
		{"Update fails, the rollback replaces: its cleanup under UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", false,
			[]answer{ok("a"), failure, ok("c"), ok("")}, ops(create, update),
			[]seen{{C, cip, cip, ""}, {U, uip, uip, "a"}, {U, urip, uip, "a"}, {D, urcc, uc, "c"}}, [3]string{urc, uc, "c"}},
		{"Update fails, the rollback fails, the operator continues it once, it fails again", false,
			[]answer{ok("a"), failure, failure, failure}, ops(create, update),
			[]seen{{C, cip, cip, ""}, {U, uip, uip, "a"}, {U, urip, uip, "a"}, {U, urip, uip, "a"}}, [3]string{urf, uf, "a"}},
		{"stack Delete", false, []answer{ok("a"), ok("")}, ops(create, remove),
			[]seen{{C, cip, cip, ""}, {D, dip, dip, "a"}}, [3]string{dc, dc, "a"}},
		{"stack Delete fails (DELETE_FAILED), the operator's retry", false, []answer{ok("a"), failure, ok("")}, ops(create, remove),
			[]seen{{C, cip, cip, ""}, {D, dip, dip, "a"}, {D, dip, dip, "a"}}, [3]string{dc, dc, "a"}},
		{"stack Delete fails twice", false, []answer{ok("a"), failure, failure}, ops(create, remove),
			[]seen{{C, cip, cip, ""}, {D, dip, dip, "a"}, {D, dip, dip, "a"}}, [3]string{df, df, "a"}},
		{"an update takes the resource out of the template: its Delete in the update's cleanup", false,
			[]answer{ok("a"), ok("")}, ops(create, takeOut),
			[]seen{{C, cip, cip, ""}, {D, ucc, dip, "a"}}, [3]string{uc, dc, "a"}},
		{"an update takes the resource out, its Delete fails three times (given up)", false,
			[]answer{ok("a"), failure, failure, failure}, ops(create, takeOut),
			[]seen{{C, cip, cip, ""}, {D, ucc, dip, "a"}, {D, ucc, dip, "a"}, {D, ucc, dip, "a"}}, [3]string{uc, df, "a"}},
		{"a deleted stack's id given a Create again: a new stack", false, []answer{ok("a"), ok(""), ok("b")}, ops(create, remove, create),
			[]seen{{C, cip, cip, ""}, {D, dip, dip, "a"}, {C, cip, cip, ""}}, [3]string{cc, cc, "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stacks := cfnsim.NewStacks()
			if c.existing {
				stacks.Put(testStack, cfnsim.UpdateComplete)
			}
			got := scripted(t, stacks, c.answers, c.ops)
			if !slices.Equal(got, c.want) {
				t.Errorf("while each request was handled:\n got  %v\n want %v", got, c.want)
			}
			st, _ := stacks.Stack(testStack)
			res, _ := stacks.Resource(testStack, "R")
			if rest := [3]string{st.StackStatus, res.ResourceStatus, res.PhysicalResourceID}; rest != c.rest {
				t.Errorf("at rest: %q, want %q", rest, c.rest)
			}
		})
	}
}

// The transitions pass through the statuses CloudFormation shows between
// requests too: a failed stack Delete leaves both DELETE_FAILED until the
// operator's retry.
func TestFailedDeleteIsDeleteFailedUntilTheRetry(t *testing.T) {
	stacks := cfnsim.NewStacks()
	stacks.Sent(testStack, "R", "Custom::Thing", cfn.RequestDelete, "a")
	stacks.Answered(testStack, "R", cfn.RequestDelete, "a", false, "a")
	st, _ := stacks.Stack(testStack)
	res, _ := stacks.Resource(testStack, "R")
	if st.StackStatus != cfnsim.DeleteFailed || res.ResourceStatus != cfnsim.DeleteFailed {
		t.Errorf("after a failed Delete: stack %s, resource %s; want DELETE_FAILED for both", st.StackStatus, res.ResourceStatus)
	}
	if res.ResourceType != "Custom::Thing" || res.StackName != "s" || res.LogicalResourceID != "R" {
		t.Errorf("resource %+v", res)
	}
}

// A stack is found by its id whatever its status, and by its name only while
// it is not deleted; a deleted stack keeps its resources.
func TestDeletedStacksStay(t *testing.T) {
	stacks := cfnsim.NewStacks()
	stacks.PutResource(cfnsim.Resource{StackID: testStack, LogicalResourceID: "R", ResourceType: "Custom::Thing",
		ResourceStatus: cfnsim.DeleteComplete, PhysicalResourceID: "a"})
	stacks.Put(testStack, cfnsim.DeleteComplete)
	if st, ok := stacks.Stack(testStack); !ok || st.StackStatus != cfnsim.DeleteComplete || st.StackName != "s" {
		t.Errorf("by id: %+v %v", st, ok)
	}
	if res, ok := stacks.Resource(testStack, "R"); !ok || res.PhysicalResourceID != "a" {
		t.Errorf("a deleted stack's resource: %+v %v", res, ok)
	}
	if _, ok := stacks.Stack("s"); ok {
		t.Error("a deleted stack found by its name")
	}
	live := strings.Replace(testStack, "0f0e0d0c", "1f1e1d1c", 1)
	stacks.Put(live, cfnsim.CreateComplete)
	if st, ok := stacks.Stack("s"); !ok || st.StackID != live {
		t.Errorf("by name: %+v %v, want the live stack %s", st, ok, live)
	}
	if _, ok := stacks.Resource(testStack, "Other"); ok {
		t.Error("a resource that was never there")
	}
	if _, ok := stacks.Stack(strings.Replace(testStack, "123456789012", "210987654321", 1)); ok {
		t.Error("a stack of another account")
	}
}

//go:build integration

package roles_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"pgregory.net/rapid"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

// The model-based lifecycle test: rapid generates sequences of
// CloudFormation's requests for three resources, two of one stack and one of
// another — Create, in-place and replacing Updates (name, name's letter case,
// path, every RoleType and its own properties, RoleType switched between
// owned types and to or from ServiceLinkedRole), the rollback Update after a
// failed one, cleanup Deletes carrying the old or the new properties, Delete
// (the stack's deletion, or the resource taken out of the template while the
// stack's other resource stays), second deliveries, ServiceTimeout values,
// a resource given the RoleName of its stack's other resource — interleaved
// with what people and other stacks do to IAM: a role deleted, its policy
// edited or its tags removed by hand, a foreign role under a name the stacks
// use (in any letter case), the service-linked role created or deleted by
// someone else. Every request runs through the real runner and roles.Manager,
// the authorizing proxy and the strict IAM layer in front of moto, behind the
// check of each request against CloudFormation (internal/cfnverify), which
// reads a CloudFormation double (internal/testkit/cfnapi) showing the stacks'
// and resources' statuses as CloudFormation sets them around each request
// (internal/testkit/cfnsim). After every step the invariants are checked:
//
//   - a request of one resource changes no role that does not carry its
//     ownership tags (roles of the other resources, foreign ones), and deletes
//     the service-linked role only when its id says it made it;
//   - a Create or Update to a RoleName that a role not the resource's holds
//     (in any letter case) fails: naming the other resource when that role
//     is another resource's of the same stack (the two logical ids of one
//     stack contend for the name), else as not managed by this stack; and by
//     the first invariant, nothing of the role that holds the name changes;
//   - SUCCESS: IAM holds exactly the desired role, its documents and policy
//     name those of its RoleType (roles.ParseSpec, the Spec's methods);
//     FAILED: a reason, the README's PhysicalResourceId rules, and no IAM
//     change when it reports none; a failed Create's rollback Delete leaves
//     IAM as it was;
//   - the rollback Update after a failed one succeeds, unless a role not the
//     resource's has taken the old role's name;
//   - a cleanup Delete never removes the role the stack now uses;
//   - every answer comes within the request's time budget (the function's
//     timeout, or ServiceTimeout when shorter);
//   - the check lets every request CloudFormation sends through; a second
//     delivery while the operation is in progress answers as the first did,
//     and one after the stack came to rest is refused FAILED, the manager
//     never sees it and IAM is unchanged.
//
// make test runs a bounded number of sequences (-rapid.checks, -rapid.steps)
// and prints what ran; make soak runs many more. rapid prints the seed and
// the shrunk sequence of a failure; each one found is kept as a named test in
// regress_test.go.

// modelTimeout is the function's timeout in the model.
const modelTimeout = 8 * time.Second

// Counts across all sequences, printed at the end.
var modelCounts struct {
	sequences, steps, requests, invariants, reads, refused atomic.Int64
	byAction                                               [16]atomic.Int64
	// switchedOwned and switchedServiceLinked count the Updates that
	// succeeded switching RoleType between owned types, and to or from
	// ServiceLinkedRole; sameStack the refusals of a RoleName another
	// resource of the same stack holds, notManaged of one anyone else holds.
	switchedOwned, switchedServiceLinked, sameStack, notManaged atomic.Int64
	// succeeded counts the Creates and Updates that succeeded, by RoleType
	// (in schema.RoleTypes' order).
	succeeded [8]atomic.Int64
}

var modelActions = []string{"Create", "Update", "Delete", "Redeliver", "RedeliverAtRest", "DeleteRoleByHand", "EditRoleByHand",
	"ForeignRole", "ServiceLinkedRoleByOthers", "ContendForName"}

// defaultModelChecks is the number of sequences when -rapid.checks is not
// given (a plain go test, the mutation tool); make model gives it.
const defaultModelChecks = "5"

func TestLifecycleModel(t *testing.T) {
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if f := flag.Lookup("rapid.checks"); !explicit && f != nil {
		was := f.Value.String()
		if err := f.Value.Set(defaultModelChecks); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = f.Value.Set(was) }()
	}
	start := time.Now()
	rapid.Check(t, func(rt *rapid.T) {
		m := newModel(rt)
		defer m.close()
		modelCounts.sequences.Add(1)
		actions := map[string]func(*rapid.T){"": m.checkInvariants}
		for i, name := range modelActions {
			fn := m.action(name)
			actions[name] = func(rt *rapid.T) {
				modelCounts.steps.Add(1)
				modelCounts.byAction[i].Add(1)
				fn(rt)
			}
		}
		rt.Repeat(actions)
	})
	var per []string
	for i, name := range modelActions {
		per = append(per, fmt.Sprintf("%s %d", name, modelCounts.byAction[i].Load()))
	}
	var types []string
	for i, t := range schema.RoleTypes() {
		types = append(types, fmt.Sprintf("%s %d", t, modelCounts.succeeded[i].Load()))
	}
	fmt.Printf("lifecycle model: %d sequences, %d steps, %d requests (%d CloudFormation reads, %d second deliveries after rest refused), "+
		"%d invariant checks, 0 failed, in %.0f s (%s); succeeded by RoleType: %s; RoleType switched by %d Updates between owned types, "+
		"%d to or from %s; RoleName held elsewhere refused: %d by another resource of the same stack, %d by anyone else\n",
		modelCounts.sequences.Load(), modelCounts.steps.Load(), modelCounts.requests.Load(), modelCounts.reads.Load(), modelCounts.refused.Load(),
		modelCounts.invariants.Load(), time.Since(start).Seconds(), strings.Join(per, ", "), strings.Join(types, ", "),
		modelCounts.switchedOwned.Load(), modelCounts.switchedServiceLinked.Load(), schema.ServiceLinkedRole,
		modelCounts.sameStack.Load(), modelCounts.notManaged.Load())
}

// stackRes is one stack's Custom::QBusinessRole as CloudFormation believes it
// (stack model-a has two, model-b one).
type stackRes struct {
	stackID, logical string
	physical         string // "" while the resource does not exist
	props            map[string]any
	// drifted: someone changed or deleted the role since the last request
	// that succeeded, so IAM need not match the properties now.
	drifted bool
}

type delivery struct {
	raw    []byte
	stack  *stackRes
	status cfn.StatusType
	id     string
	slr    bool
	// shown is what CloudFormation showed of the stack and the resource
	// while the request was in progress.
	shown     cfnsim.Resource
	shownFrom string
}

type model struct {
	mgr   *roles.Manager
	admin *iam.Client
	// resources are the stacks' resources: two logical ids of stack
	// model-a, which may contend for one RoleName, and one of model-b.
	resources []*stackRes
	// foreign holds the roles made by hand, with their snapshots.
	foreign map[string]string
	// last is the last request delivered, while nothing happened since.
	last *delivery
	seq  int
	// result is what the manager returned for the last request (its
	// Changes are in the log line, not in the answer); handled tells
	// whether the manager saw it at all.
	result  roles.Result
	handled bool
	// view is what CloudFormation shows of both stacks; cfn the
	// CloudFormation double that answers the check's reads from it.
	view     *cfnsim.Stacks
	cfn      *cfnapi.Server
	verifier *cfnverify.Verifier
}

func newModel(rt *rapid.T) *model {
	if err := moto.Reset(); err != nil {
		rt.Fatal(err)
	}
	proxy := authz.Strict(moto)
	m := &model{
		mgr: &roles.Manager{IAM: iamauthz.Client(moto, proxy.Inside),
			PropagationTimeout: 3 * time.Second, RetryDelay: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond},
		admin:   moto.IAM("testing", "testing", func(o *iam.Options) { o.BaseEndpoint = aws.String(authz.Layer(moto).URL) }),
		foreign: map[string]string{},
		view:    cfnsim.NewStacks(),
	}
	m.cfn = cfnapi.Start(cfnapi.Options{Stacks: m.view})
	m.verifier = &cfnverify.Verifier{
		Stacks: &cfnverify.Client{Credentials: credentials.NewStaticCredentialsProvider(iamauthz.FunctionKey, "function-secret", ""),
			Region: "us-east-1", Endpoint: m.cfn.URL, AttemptTimeout: 2 * time.Second,
			Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})},
		FunctionARN: cfnsim.ServiceToken, Settle: 20 * time.Millisecond,
	}
	for _, r := range []struct{ stack, logical string }{{"model-a", "QBusinessRole"}, {"model-a", "OtherRole"}, {"model-b", "QBusinessRole"}} {
		m.resources = append(m.resources, &stackRes{
			stackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/" + r.stack + "/5b9c1e40-8e6e-11ef-9f2a-0affc1a2b3c4",
			logical: r.logical})
	}
	return m
}

func (m *model) action(name string) func(*rapid.T) {
	switch name {
	case "Create":
		return m.create
	case "Update":
		return m.update
	case "Delete":
		return m.deleteResource
	case "Redeliver":
		return m.redeliver
	case "RedeliverAtRest":
		return m.redeliverAtRest
	case "DeleteRoleByHand":
		return m.deleteRoleByHand
	case "EditRoleByHand":
		return m.editRoleByHand
	case "ForeignRole":
		return m.foreignRole
	case "ServiceLinkedRoleByOthers":
		return m.serviceLinkedRoleByOthers
	case "ContendForName":
		return m.contendForName
	}
	panic(name)
}

func isServiceLinked(props map[string]any) bool {
	return props[schema.PropRoleType] == string(schema.ServiceLinkedRole)
}

// specOf is what roles.ParseSpec makes of props for resource s: the model
// takes the expected documents, policy name and settings from it.
func specOf(rt *rapid.T, s *stackRes, props map[string]any) (roles.Spec, error) {
	return roles.ParseSpec(props, mustStack(rt, s.stackID), s.logical)
}

// send delivers one request through the runner and checks it was answered
// within its time budget.
func (m *model) send(rt *rapid.T, s *stackRes, rt2 cfn.RequestType, physical string, props, old map[string]any) cfn.Response {
	m.seq++
	ev := map[string]any{
		"RequestType": rt2, "ServiceToken": cfnsim.ServiceToken,
		"ResponseURL": "http://127.0.0.1:1/response", "StackId": s.stackID, "LogicalResourceId": s.logical,
		"RequestId": fmt.Sprintf("model-%d", m.seq), "ResourceType": "Custom::QBusinessRole", "ResourceProperties": withToken(props),
	}
	if physical != "" {
		ev["PhysicalResourceId"] = physical
	}
	if old != nil {
		ev["OldResourceProperties"] = withToken(old)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		rt.Fatal(err)
	}
	m.view.Sent(s.stackID, s.logical, "Custom::QBusinessRole", rt2, physical)
	shown, _ := m.view.Resource(s.stackID, s.logical)
	shownFrom, _ := m.view.Stack(s.stackID)
	resp := m.deliver(rt, raw, props)
	if refusedOrUnchecked(resp) {
		rt.Fatalf("the check did not let through a %s CloudFormation sent (stack %s, resource %s): %s",
			rt2, shownFrom.StackStatus, shown.ResourceStatus, resp.Reason)
	}
	m.view.Answered(s.stackID, s.logical, rt2, physical, resp.Status == cfn.StatusSuccess, resp.PhysicalResourceID)
	m.last = &delivery{raw: raw, stack: s, status: resp.Status, id: resp.PhysicalResourceID, slr: isServiceLinked(props),
		shown: shown, shownFrom: shownFrom.StackStatus}
	return resp
}

// withToken is props as CloudFormation sends them: with the ServiceToken.
func withToken(props map[string]any) map[string]any {
	out := maps.Clone(props)
	if out == nil {
		out = map[string]any{}
	}
	out[schema.PropServiceToken] = cfnsim.ServiceToken
	return out
}

// refusedOrUnchecked tells an answer of the check of the request against
// CloudFormation: refused, or CloudFormation could not be read.
func refusedOrUnchecked(resp cfn.Response) bool {
	return strings.Contains(resp.Reason, cfnverify.ErrRefused.Error()) || strings.Contains(resp.Reason, "checking the request against CloudFormation")
}

// rest ends s's stack operation in CloudFormation's view.
func (m *model) rest(s *stackRes) { m.view.Rest(s.stackID) }

// close stops the CloudFormation double.
func (m *model) close() { m.cfn.Close() }

func (m *model) deliver(rt *rapid.T, raw []byte, props map[string]any) cfn.Response {
	modelCounts.requests.Add(1)
	sender := &captured{}
	m.result, m.handled = roles.Result{}, false
	handler := cfnresource.HandlerFunc(func(ctx context.Context, ev cfn.Event) (cfnresource.Result, error) {
		m.handled = true
		res, err := m.mgr.Handle(ctx, ev)
		m.result = res
		return resource.Answer(res), err
	})
	reads := m.cfn.Reads()
	defer func() { modelCounts.reads.Add(int64(m.cfn.Reads() - reads)) }()
	r := resource.NewRunner(resource.Checked(m.verifier, handler), sender, slog.New(slog.NewTextHandler(io.Discard, nil)))
	budget := modelTimeout
	if st, ok := props["ServiceTimeout"].(string); ok {
		var n int
		fmt.Sscan(st, &n)
		budget = min(budget, time.Duration(n)*time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), modelTimeout)
	defer cancel()
	start := time.Now()
	if _, err := r.Run(ctx, raw); err != nil {
		rt.Fatalf("run: %v", err)
	}
	if took := time.Since(start); took > budget {
		rt.Fatalf("answered after %v, over the budget of %v", took, budget)
	}
	if len(sender.got) != 1 {
		rt.Fatalf("%d responses, want 1", len(sender.got))
	}
	resp := sender.got[0]
	if resp.Status == cfn.StatusFailed && resp.Reason == "" {
		rt.Fatal("FAILED without a reason")
	}
	return resp
}

type captured struct{ got []cfn.Response }

func (c *captured) Send(_ context.Context, _ string, r *cfn.Response) error {
	c.got = append(c.got, *r)
	return nil
}

// iamState is every role in the account, by name, as rolestest.Snapshot
// describes it.
func (m *model) iamState(rt *rapid.T) map[string]string {
	state := map[string]string{}
	p := iam.NewListRolesPaginator(m.admin, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			rt.Fatal(err)
		}
		for _, r := range page.Roles {
			name := aws.ToString(r.RoleName)
			state[name] = rolestest.Snapshot(context.Background(), m.admin, name)
		}
	}
	return state
}

func (m *model) role(name string) (*types.Role, bool) {
	out, err := m.admin.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, false
	}
	return out.Role, true
}

func (m *model) serviceLinkedRole() (string, bool) {
	out, err := m.admin.ListRoles(context.Background(), &iam.ListRolesInput{PathPrefix: aws.String(schema.ServiceLinkedRolePath)})
	if err != nil || len(out.Roles) == 0 {
		return "", false
	}
	return aws.ToString(out.Roles[0].RoleName), true
}

// ownsRole reports whether IAM holds a role of s's under its id.
func (m *model) ownsRole(s *stackRes) bool {
	r, ok := m.role(s.physical)
	return ok && owned(rolestest.Snapshot(context.Background(), m.admin, aws.ToString(r.RoleName)), s)
}

// owned reports whether the role state (a snapshot) carries s's ownership tags.
func owned(snapshot string, s *stackRes) bool {
	return strings.Contains(snapshot, schema.TagStackID+"="+s.stackID+",") &&
		strings.Contains(snapshot, schema.TagLogicalID+"="+s.logical+",")
}

// request sends one request of resource s and checks that it touched no role
// that is not s's: every role without s's tags is unchanged, and the
// service-linked role is deleted only by a resource whose id names it.
// before is IAM's state before it, when the caller has just read it (nil:
// read here); request returns the answer and IAM's state after it.
func (m *model) request(rt *rapid.T, s *stackRes, rtype cfn.RequestType, physical string, props, old map[string]any,
	before map[string]string) (cfn.Response, map[string]string) {
	if before == nil {
		before = m.iamState(rt)
	}
	resp := m.send(rt, s, rtype, physical, props, old)
	after := m.iamState(rt)
	for name, snap := range before {
		if strings.Contains(snap, "|"+schema.ServiceLinkedRolePath+"|") {
			if _, still := after[name]; !still && !(rtype == cfn.RequestDelete && roles.ParsePhysicalID(physical).Kind == roles.IDRole && strings.EqualFold(physical, name)) {
				rt.Fatalf("%s of %s %s deleted the service-linked role, whose id it does not hold (%s)", rtype, s.stackID, s.logical, physical)
			}
			continue
		}
		if owned(snap, s) {
			continue
		}
		if after[name] != snap {
			rt.Fatalf("%s of %s %s changed role %s, which is not its own:\nbefore %s\nafter  %s", rtype, s.stackID, s.logical, name, snap, after[name])
		}
	}
	return resp, after
}

// requireDesired checks that IAM holds exactly the role props describe under
// the id of a SUCCESS response.
func (m *model) requireDesired(rt *rapid.T, s *stackRes, resp cfn.Response, props map[string]any) {
	if isServiceLinked(props) {
		name, ok := m.serviceLinkedRole()
		if !ok {
			rt.Fatalf("SUCCESS for the service-linked role, and IAM has none (id %s)", resp.PhysicalResourceID)
		}
		id := roles.ParsePhysicalID(resp.PhysicalResourceID)
		if (id.Kind != roles.IDRole && id.Kind != roles.IDAdopted) || id.RoleName != name {
			rt.Fatalf("service-linked role answered with id %q, IAM's is %s", resp.PhysicalResourceID, name)
		}
		return
	}
	spec, err := specOf(rt, s, props)
	if err != nil {
		rt.Fatalf("SUCCESS for properties that do not parse: %v", err)
	}
	name := resp.PhysicalResourceID
	if bad := rolestest.Mismatches(context.Background(), m.admin, name, spec); len(bad) > 0 {
		rt.Fatalf("SUCCESS, and role %s differs from the properties: %s", name, strings.Join(bad, "; "))
	}
	if spec.Name != "" && !strings.EqualFold(spec.Name, name) {
		rt.Fatalf("RoleName %s, answered id %s", spec.Name, name)
	}
	if resp.Data["RoleName"] != name || !strings.HasPrefix(fmt.Sprint(resp.Data["Arn"]), "arn:aws:iam::") {
		rt.Fatalf("Data %v for role %s", resp.Data, name)
	}
}

// pickResource draws one of the resources for which ok holds, and skips the
// step when there is none.
func (m *model) pickResource(rt *rapid.T, ok func(*stackRes) bool) *stackRes {
	var eligible []*stackRes
	for _, s := range m.resources {
		if ok(s) {
			eligible = append(eligible, s)
		}
	}
	if len(eligible) == 0 {
		rt.Skip("no resource fits")
	}
	return rapid.SampledFrom(eligible).Draw(rt, "resource")
}

func absent(s *stackRes) bool { return s.physical == "" }

func present(s *stackRes) bool { return s.physical != "" }

// ownedRole: the resource's role is one qbrole owns (any RoleType but
// ServiceLinkedRole).
func ownedRole(s *stackRes) bool { return s.physical != "" && !isServiceLinked(s.props) }

// create: CloudFormation's Create; on FAILED, the rollback's Delete of the
// answered id, after which IAM must be as it was.
func (m *model) create(rt *rapid.T) {
	s := m.pickResource(rt, absent)
	props, _ := propsGen(rt, "create")
	m.createWith(rt, s, props)
}

// createWith is create of s with props.
func (m *model) createWith(rt *rapid.T, s *stackRes, props map[string]any) {
	defer m.rest(s)
	before := m.iamState(rt)
	refusal := m.expectedRefusal(rt, s, props, before)
	resp, after := m.request(rt, s, cfn.RequestCreate, "", props, nil, before)
	m.requireRefused(rt, cfn.RequestCreate, resp, refusal)
	if resp.Status == cfn.StatusSuccess {
		m.requireDesired(rt, s, resp, props)
		m.countSuccess(rt, s, nil, props)
		s.physical, s.props, s.drifted = resp.PhysicalResourceID, props, false
		return
	}
	if k := roles.ParsePhysicalID(resp.PhysicalResourceID).Kind; k != roles.IDFailedCreate && k != roles.IDFailedCreateRole {
		rt.Fatalf("failed Create answered id %q, want a failed-Create marker", resp.PhysicalResourceID)
	}
	rb, after := m.request(rt, s, cfn.RequestDelete, resp.PhysicalResourceID, props, nil, after)
	if rb.Status != cfn.StatusSuccess {
		rt.Fatalf("rollback Delete after a failed Create: %s", rb.Reason)
	}
	if !maps.Equal(before, after) {
		rt.Fatalf("failed Create (%s) and its rollback changed IAM:\nbefore %v\nafter  %v", resp.Reason, keys(before), keys(after))
	}
	m.last = nil
}

func keys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// update: an Update; on SUCCESS with a new id, the cleanup Delete of the old
// one (with the old or the new properties, up to three attempts); on FAILED,
// the rollback Update.
func (m *model) update(rt *rapid.T) {
	s := m.pickResource(rt, present)
	props, _ := propsGen(rt, "update")
	m.updateWith(rt, s, props)
}

// updateWith is update of s to props.
func (m *model) updateWith(rt *rapid.T, s *stackRes, props map[string]any) {
	defer m.rest(s)
	oldPhysical, oldProps := s.physical, s.props
	before := m.iamState(rt)
	refusal := m.expectedRefusal(rt, s, props, before)
	inPlace := keepsRole(rt, s, props, before)
	resp, after := m.request(rt, s, cfn.RequestUpdate, oldPhysical, props, oldProps, before)
	m.requireRefused(rt, cfn.RequestUpdate, resp, refusal)
	if resp.Status == cfn.StatusSuccess {
		m.requireDesired(rt, s, resp, props)
		if inPlace && resp.PhysicalResourceID != oldPhysical {
			rt.Fatalf("an Update from %v to %v, which keeps the role's name and Path, replaced %s by %s", oldProps, props, oldPhysical, resp.PhysicalResourceID)
		}
		m.countSuccess(rt, s, oldProps, props)
		s.physical, s.props, s.drifted = resp.PhysicalResourceID, props, false
		m.cleanup(rt, s, oldPhysical, oldProps, props)
		return
	}
	if resp.PhysicalResourceID != oldPhysical {
		rt.Fatalf("failed Update answered id %q, want the old %q", resp.PhysicalResourceID, oldPhysical)
	}
	// A failure that reports no writes changed nothing; one that reports
	// writes changed the resource's own role only.
	if changes := m.result.Changes; len(changes) == 0 && !maps.Equal(before, after) {
		rt.Fatalf("failed Update (%s) reports no change, and IAM changed:\nbefore %v\nafter  %v", resp.Reason, before, after)
	} else if !m.changedOnlyOwn(before, after, s) {
		rt.Fatalf("failed Update (%s) changed IAM beyond the resource's own role (reported %v)", resp.Reason, changes)
	}
	taken := takenByOthers(after, oldPhysical, s)
	refusal = m.expectedRefusal(rt, s, oldProps, after)
	rb, _ := m.request(rt, s, cfn.RequestUpdate, oldPhysical, oldProps, props, after)
	m.requireRefused(rt, cfn.RequestUpdate, rb, refusal)
	if rb.Status != cfn.StatusSuccess {
		if taken {
			// IAM does not allow the old state: another resource's or a
			// person's role holds the name (UPDATE_ROLLBACK_FAILED).
			m.last = nil
			return
		}
		rt.Fatalf("rollback Update after a failed Update (%s) failed: %s", resp.Reason, rb.Reason)
	}
	if s.drifted && rb.PhysicalResourceID == oldPhysical {
		s.drifted = false
	}
	m.requireDesired(rt, s, rb, oldProps)
	s.physical, s.drifted = rb.PhysicalResourceID, false
	m.cleanup(rt, s, oldPhysical, props, oldProps)
	m.last = nil
}

// contendForName: one resource of a stack is created or updated to the
// RoleName (in either letter case) of the role its stack's other resource
// holds: two logical ids of one stack contend for one name. It is refused,
// naming the other resource (expectedRefusal), and the other resource's role
// does not change (request). create and update draw the same by chance; this
// action makes it happen in every run.
func (m *model) contendForName(rt *rapid.T) {
	s := m.pickResource(rt, func(s *stackRes) bool { return m.siblingsRole(s) != "" })
	name := m.siblingsRole(s)
	if rapid.Bool().Draw(rt, "other letter case") {
		name = strings.ToUpper(name)
	}
	props, _ := propsGen(rt, "contend")
	if isServiceLinked(props) {
		// Its properties bar RoleName: those of an application role.
		delete(props, schema.PropRoleType)
	}
	props[schema.PropRoleName] = name
	if present(s) {
		m.updateWith(rt, s, props)
	} else {
		m.createWith(rt, s, props)
	}
}

// siblingsRole is the name of the role that IAM holds for the other
// resource of s's stack, "" when there is none: the name s may contend for.
func (m *model) siblingsRole(s *stackRes) string {
	for _, other := range m.resources {
		if other != s && other.stackID == s.stackID && ownedRole(other) && m.ownsRole(other) {
			return other.physical
		}
	}
	return ""
}

// keepsRole reports whether an Update of s to props is to keep the role under
// s's id: both RoleTypes are owned ones, since only RoleName, Path and a
// switch to or from ServiceLinkedRole replace such a role (between owned
// types RoleType changes in place); the name stays (RoleName the id in any
// letter case, or no RoleName before and after); and IAM (its state) holds
// s's role under the id at the new Path.
func keepsRole(rt *rapid.T, s *stackRes, props map[string]any, state map[string]string) bool {
	was, err1 := specOf(rt, s, s.props)
	now, err2 := specOf(rt, s, props)
	if err1 != nil || err2 != nil || !was.Owned() || !now.Owned() {
		return false
	}
	if now.Name == "" && was.Name != "" || now.Name != "" && !strings.EqualFold(now.Name, s.physical) {
		return false
	}
	snap, ok := state[s.physical]
	return ok && owned(snap, s) && strings.Contains(snap, "|"+now.Path+"|")
}

// changedOnlyOwn reports whether only roles carrying s's tags differ.
func (m *model) changedOnlyOwn(before, after map[string]string, s *stackRes) bool {
	for name, snap := range before {
		if after[name] != snap && !owned(snap, s) {
			return false
		}
	}
	for name, snap := range after {
		if _, was := before[name]; !was && !owned(snap, s) {
			return false
		}
	}
	return true
}

// expectedRefusal is the reason a Create or an Update of s to props must fail
// with, given IAM's state before it; "" when none. The RoleName props give
// is held, in any letter case, by a role that is not s's: a role of another
// resource of s's own stack is refused naming that resource, any other
// (another stack's, a person's) as not managed by this stack (roles'
// notOwnedError; IAM does not distinguish role names by case: IAM API
// Reference, "CreateRole", RoleName,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
// Invalid properties fail before IAM is asked, for their own reason.
func (m *model) expectedRefusal(rt *rapid.T, s *stackRes, props map[string]any, state map[string]string) string {
	spec, err := specOf(rt, s, props)
	if err != nil || !spec.Owned() || spec.Name == "" {
		return ""
	}
	for name, snap := range state {
		if !strings.EqualFold(name, spec.Name) || owned(snap, s) {
			continue
		}
		for _, other := range m.resources {
			if other.stackID == s.stackID && other.logical != s.logical && owned(snap, other) {
				return fmt.Sprintf("it belongs to %s, another resource of this same stack, not to %s", other.logical, s.logical)
			}
		}
		return "it exists and is not managed by this stack"
	}
	return ""
}

// requireRefused checks that a request for which expectedRefusal gave a
// reason failed with it.
func (m *model) requireRefused(rt *rapid.T, rtype cfn.RequestType, resp cfn.Response, reason string) {
	if reason == "" {
		return
	}
	if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, reason) {
		rt.Fatalf("%s to a RoleName another role holds answered %s (%s), want FAILED: ... %s ...", rtype, resp.Status, resp.Reason, reason)
	}
	if strings.Contains(reason, "another resource of this same stack") {
		modelCounts.sameStack.Add(1)
	} else {
		modelCounts.notManaged.Add(1)
	}
}

// countSuccess counts a Create (old nil) or an Update of s from old to props
// that succeeded: its RoleType, and whether it switched RoleType.
func (m *model) countSuccess(rt *rapid.T, s *stackRes, old, props map[string]any) {
	now, err := specOf(rt, s, props)
	if err != nil {
		rt.Fatalf("SUCCESS for properties that do not parse: %v", err)
	}
	modelCounts.succeeded[slices.Index(schema.RoleTypes(), now.Type)].Add(1)
	if old == nil {
		return
	}
	was, err := specOf(rt, s, old)
	if err != nil {
		rt.Fatalf("an Update that succeeded, from properties that do not parse: %v", err)
	}
	switch {
	case was.Type == now.Type:
	case was.Owned() && now.Owned():
		modelCounts.switchedOwned.Add(1)
	default:
		modelCounts.switchedServiceLinked.Add(1)
	}
}

// takenByOthers reports whether IAM (its state) holds a role under name, in
// any letter case, that is not s's.
func takenByOthers(state map[string]string, name string, s *stackRes) bool {
	for existing, snap := range state {
		if strings.EqualFold(existing, name) && !owned(snap, s) && !strings.Contains(snap, "|"+schema.ServiceLinkedRolePath+"|") {
			return true
		}
	}
	return false
}

// cleanup is CloudFormation's Delete of a replaced id: up to three attempts,
// with either properties; the role the stack now uses must survive it.
func (m *model) cleanup(rt *rapid.T, s *stackRes, oldPhysical string, oldProps, newProps map[string]any) {
	if s.physical == oldPhysical {
		return
	}
	props := oldProps
	if rapid.Bool().Draw(rt, "cleanup carries the new properties") {
		props = newProps
	}
	for range 3 {
		if r, _ := m.request(rt, s, cfn.RequestDelete, oldPhysical, props, nil, nil); r.Status == cfn.StatusSuccess {
			break
		}
	}
	m.requireDesired(rt, s, cfn.Response{PhysicalResourceID: s.physical, Data: m.data(s.physical)}, s.props)
	m.last = nil
}

// data is the Data a response for the role under id would carry.
func (m *model) data(id string) map[string]any {
	r, ok := m.role(id)
	if !ok {
		return nil
	}
	return map[string]any{"RoleName": aws.ToString(r.RoleName), "Arn": aws.ToString(r.Arn)}
}

// deleteResource: the stack's deletion, or, while the stack's other resource
// exists, the resource taken out of the template. It must succeed; an owned
// role is gone unless OnDelete says Retain.
func (m *model) deleteResource(rt *rapid.T) {
	s := m.pickResource(rt, present)
	defer m.rest(s)
	if m.siblingPresent(s) {
		// The stack stays: the resource is taken out of the template, and
		// deleted after the update (cfnsim.Driver.Remove).
		m.view.Put(s.stackID, cfnsim.UpdateCompleteCleanupInProgress)
	}
	resp, _ := m.request(rt, s, cfn.RequestDelete, s.physical, s.props, nil, nil)
	if resp.Status != cfn.StatusSuccess {
		rt.Fatalf("Delete of %s failed: %s", s.physical, resp.Reason)
	}
	if resp.PhysicalResourceID != s.physical {
		rt.Fatalf("Delete answered id %q, want %q", resp.PhysicalResourceID, s.physical)
	}
	spec, err := specOf(rt, s, s.props)
	if err != nil {
		rt.Fatalf("the resource's properties do not parse: %v", err)
	}
	if r, ok := m.role(s.physical); ok && spec.Owned() && spec.OnDelete != schema.RetainRole &&
		owned(rolestest.Snapshot(context.Background(), m.admin, aws.ToString(r.RoleName)), s) {
		rt.Fatalf("Delete left the resource's role %s", s.physical)
	}
	s.physical, s.props, s.drifted = "", nil, false
}

// siblingPresent reports whether another resource of s's stack exists.
func (m *model) siblingPresent(s *stackRes) bool {
	for _, other := range m.resources {
		if other != s && other.stackID == s.stackID && present(other) {
			return true
		}
	}
	return false
}

// redeliver: CloudFormation (or Lambda) delivers the last request again
// while its operation is still in progress (CloudFormation shows the stack
// and the resource as it did while the first delivery was handled). A
// Create or Update that succeeded in place, and any Delete, answer as the
// first delivery did.
func (m *model) redeliver(rt *rapid.T) {
	d, ev := m.lastDelivery(rt)
	if ev.RequestType == cfn.RequestUpdate && ev.PhysicalResourceID != d.id {
		rt.Skip("a replacement's second delivery comes after its cleanup")
	}
	nowStack, _ := m.view.Stack(d.stack.stackID)
	nowRes, _ := m.view.Resource(d.stack.stackID, d.stack.logical)
	m.view.Put(d.stack.stackID, d.shownFrom)
	m.view.PutResource(d.shown)
	defer func() {
		m.view.Put(d.stack.stackID, nowStack.StackStatus)
		m.view.PutResource(nowRes)
	}()
	resp := m.deliver(rt, d.raw, ev.ResourceProperties)
	if resp.Status != d.status {
		rt.Fatalf("second delivery of %s answered %s (%s), the first %s", ev.RequestType, resp.Status, resp.Reason, d.status)
	}
	if !d.slr && resp.PhysicalResourceID != d.id {
		rt.Fatalf("second delivery of %s answered id %q, the first %q", ev.RequestType, resp.PhysicalResourceID, d.id)
	}
	if ev.RequestType != cfn.RequestDelete && !d.slr {
		m.requireDesired(rt, d.stack, resp, ev.ResourceProperties)
	}
	m.last = nil
}

// lastDelivery is the last request delivered, if it succeeded and nothing
// happened since; else the step is skipped.
func (m *model) lastDelivery(rt *rapid.T) (*delivery, cfn.Event) {
	d := m.last
	if d == nil || d.status != cfn.StatusSuccess {
		rt.Skip("nothing to redeliver")
	}
	var ev cfn.Event
	if err := json.Unmarshal(d.raw, &ev); err != nil {
		rt.Fatal(err)
	}
	return d, ev
}

// redeliverAtRest: the last request delivered again after its stack came to
// rest (a forged or replayed event: CloudFormation sends none then). The
// check refuses it FAILED; the manager never sees it, and IAM is unchanged.
// A Delete that names no role (roles.DeletesNothing) is let through unread,
// and changes nothing.
func (m *model) redeliverAtRest(rt *rapid.T) {
	d, ev := m.lastDelivery(rt)
	st, _ := m.view.Stack(d.stack.stackID)
	res, _ := m.view.Resource(d.stack.stackID, d.stack.logical)
	before := m.iamState(rt)
	resp := m.deliver(rt, d.raw, ev.ResourceProperties)
	if ev.RequestType == cfn.RequestDelete && roles.DeletesNothing(ev.PhysicalResourceID) {
		// Not read: such a Delete makes no IAM call, whatever CloudFormation shows.
		if after := m.iamState(rt); resp.Status != cfn.StatusSuccess || !maps.Equal(before, after) {
			rt.Fatalf("a second Delete of %s, which names no role, answered %s (%s) or changed IAM", ev.PhysicalResourceID, resp.Status, resp.Reason)
		}
		m.last = nil
		return
	}
	if resp.Status != cfn.StatusFailed || !strings.Contains(resp.Reason, cfnverify.ErrRefused.Error()) {
		rt.Fatalf("second delivery of %s after rest (stack %s, resource %s) answered %s (%s), want refused FAILED",
			ev.RequestType, st.StackStatus, res.ResourceStatus, resp.Status, resp.Reason)
	}
	if m.handled {
		rt.Fatalf("a refused second delivery of %s reached the manager", ev.RequestType)
	}
	if after := m.iamState(rt); !maps.Equal(before, after) {
		rt.Fatalf("a refused second delivery of %s changed IAM:\nbefore %v\nafter  %v", ev.RequestType, before, after)
	}
	modelCounts.refused.Add(1)
	m.last = nil
}

// deleteRoleByHand: someone deletes a resource's role (one qbrole owns).
func (m *model) deleteRoleByHand(rt *rapid.T) {
	s := m.pickResource(rt, ownedRole)
	if !m.ownsRole(s) {
		rt.Skip("no role of the stack's under its id")
	}
	if err := rolestest.DeleteByHand(context.Background(), m.admin, s.physical); err != nil {
		rt.Fatal(err)
	}
	s.drifted = true
	m.last = nil
}

// editRoleByHand: someone edits a resource's role: the permissions policy
// (under the RoleType's policy name) widened, another inline policy added, or
// the user's tags removed.
func (m *model) editRoleByHand(rt *rapid.T) {
	s := m.pickResource(rt, ownedRole)
	if !m.ownsRole(s) {
		rt.Skip("no role of the stack's under its id")
	}
	spec, err := specOf(rt, s, s.props)
	if err != nil {
		rt.Fatalf("the resource's properties do not parse: %v", err)
	}
	ctx := context.Background()
	name := aws.String(s.physical)
	switch rapid.IntRange(0, 2).Draw(rt, "edit") {
	case 0:
		policy := wideOpenPolicy
		_, err = m.admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String(spec.PolicyName), PolicyDocument: &policy})
	case 1:
		policy := wideOpenPolicy
		_, err = m.admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("added-by-hand"), PolicyDocument: &policy})
	case 2:
		_, err = m.admin.UntagRole(ctx, &iam.UntagRoleInput{RoleName: name, TagKeys: []string{"team"}})
	}
	if err != nil {
		rt.Fatal(err)
	}
	s.drifted = true
	m.last = nil
}

const wideOpenPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// foreignRole: someone makes a role of their own under a name the stacks use,
// in some letter case, where IAM has none of that name.
func (m *model) foreignRole(rt *rapid.T) {
	name := rapid.SampledFrom(modelNames).Draw(rt, "foreign name")
	for existing := range m.iamState(rt) {
		if strings.EqualFold(existing, name) {
			rt.Skip("name taken")
		}
	}
	if err := rolestest.CreateForeign(context.Background(), m.admin, name); err != nil {
		rt.Fatal(err)
	}
	m.foreign[name] = rolestest.Snapshot(context.Background(), m.admin, name)
	m.last = nil
}

// serviceLinkedRoleByOthers: someone (Q Business itself, another stack, a
// person) creates the service-linked role where there is none, or deletes it.
func (m *model) serviceLinkedRoleByOthers(rt *rapid.T) {
	ctx := context.Background()
	if name, ok := m.serviceLinkedRole(); ok {
		if err := rolestest.DeleteServiceLinkedRoleByHand(ctx, m.admin, name); err != nil {
			rt.Fatal(err)
		}
		for _, s := range m.resources {
			if isServiceLinked(s.props) {
				s.drifted = true
			}
		}
	} else if _, err := m.admin.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(schema.ServicePrincipal)}); err != nil {
		rt.Fatal(err)
	}
	m.last = nil
}

// checkInvariants runs after every step: foreign roles are as their owners
// left them, and each resource that nobody drifted holds its properties.
func (m *model) checkInvariants(rt *rapid.T) {
	modelCounts.invariants.Add(1)
	for name, snap := range m.foreign {
		if now := rolestest.Snapshot(context.Background(), m.admin, name); now != snap {
			rt.Fatalf("foreign role %s changed:\nwas %s\nnow %s", name, snap, now)
		}
	}
	// The service-linked role is shared: one stack's Delete of the role it
	// made also takes it from a stack that adopted it.
	if _, ok := m.serviceLinkedRole(); !ok {
		for _, s := range m.resources {
			if isServiceLinked(s.props) {
				s.drifted = true
			}
		}
	}
	for _, s := range m.resources {
		if s.physical == "" || s.drifted {
			continue
		}
		m.requireDesired(rt, s, cfn.Response{PhysicalResourceID: s.physical, Data: m.data(s.physical)}, s.props)
	}
}

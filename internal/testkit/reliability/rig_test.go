//go:build integration

package reliability_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/iamfault"
	"github.com/qbrole/qbrole/internal/testkit/iamwire"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// Two moto servers: one reset before every run, one holding a service-linked
// role made long enough ago to be adopted (adoption never deletes it). Every
// call the function makes goes through the authorizing proxy in front of its
// server, which judges it against template.yaml's execution-role policy with
// the IAM policy evaluator.
var (
	moto, motoAdopt *motoserver.Server
	authz           *iamauthz.Harness
)

const stackID = "arn:aws:cloudformation:us-east-1:123456789012:stack/reliability/0f0e0d0c-0b0a-4909-8807-060504030201"

func TestMain(m *testing.M) { iamauthz.RunTests(m, &authz, &moto, &motoAdopt) }

// fastRetries keeps the SDK's retry rules (throttling, 5xx, broken
// connections are retried) with no waiting, so a test takes milliseconds.
func fastRetries(o *iam.Options) { o.Retryer = fastRetryer() }

func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 10 // 0.2^10: a call throttled at a fifth of calls still gets through
		so.RateLimiter = ratelimit.None
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	})
}

// rig is one custom resource driven by cfnsim, calling moto through a fault
// injector, answered by the real runner behind the check of each request
// against CloudFormation, which reads cfn, the CloudFormation double
// answering from what the driver shows of the stack.
type rig struct {
	faults *iamfault.Transport
	driver *cfnsim.Driver
	admin  *iam.Client
	cfn    *cfnapi.Server
}

// close stops the rig's CloudFormation double.
func (r *rig) close() { r.cfn.Close() }

// newRig calls IAM from inside the function, through s's proxy or through via.
func newRig(s *motoserver.Server, rs *cfntest.ResponseServer, logical string, faults *iamfault.Transport, timeout time.Duration, via ...*iamauthz.Proxy) *rig {
	return newRigOn(viaMoto, s, rs, logical, faults, timeout, via...)
}

// chain is the way the function's calls reach moto: through the authorizing
// proxy, and for strictIAM also through the strict IAM layer
// (internal/testkit/iamstrict), which gives IAM's documented behaviours moto lacks.
type chain struct {
	name   string
	strict bool
}

var (
	viaMoto   = chain{name: "moto"}
	strictIAM = chain{name: "strict IAM", strict: true}
)

func (c chain) proxy(s *motoserver.Server) *iamauthz.Proxy {
	if c.strict {
		return authz.Strict(s)
	}
	return authz.Proxy(s)
}

// admin sees IAM's state as the chain gives it (names included), with the
// tests' own credentials, to which no quirk of time applies.
func (c chain) admin(s *motoserver.Server) *iam.Client {
	if c.strict {
		return s.IAM("testing", "testing", fastRetries, func(o *iam.Options) { o.BaseEndpoint = aws.String(authz.Layer(s).URL) })
	}
	return s.IAM("testing", "testing", fastRetries)
}

func newRigOn(c chain, s *motoserver.Server, rs *cfntest.ResponseServer, logical string, faults *iamfault.Transport, timeout time.Duration, via ...*iamauthz.Proxy) *rig {
	proxy := c.proxy(s)
	if len(via) == 1 {
		proxy = via[0]
	}
	if faults == nil {
		faults = &iamfault.Transport{}
	}
	client := iamauthz.Client(s, proxy.Inside, fastRetries, func(o *iam.Options) { o.HTTPClient = &http.Client{Transport: faults} })
	stacks := cfnsim.NewStacks()
	// Each read is judged by the IAM policy evaluator with the policies the
	// proxy gives the function (template.yaml's, or fewer).
	double := cfnapi.Start(cfnapi.Options{Stacks: stacks, Authorize: proxy.Authorize})
	return &rig{
		faults: faults,
		admin:  c.admin(s),
		cfn:    double,
		driver: &cfnsim.Driver{
			Invoke:    function(client, verifier(double)),
			Responses: rs, StackID: stackID, LogicalID: logical, Timeout: timeout, Stacks: stacks,
		},
	}
}

// function is the provider function calling IAM with client, with v as its
// check of each request against CloudFormation: the real runner and Manager,
// with timings short enough for tests.
func function(client *iam.Client, v *cfnverify.Verifier) cfnsim.Invoker {
	m := &roles.Manager{IAM: client, PropagationTimeout: time.Second, RetryDelay: 5 * time.Millisecond,
		PollInterval: 5 * time.Millisecond, CleanupTimeout: 300 * time.Millisecond}
	runner := resource.NewRunner(resource.Checked(v, resource.Handler(m)),
		&cfnresource.HTTPSender{AllowLoopback: true, Backoff: time.Millisecond}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	return func(ctx context.Context, ev []byte) error {
		_, err := runner.Run(ctx, ev)
		return err
	}
}

// verifier is the check of each request against CloudFormation as the
// function makes it (internal/cfnverify), reading the double with the
// function's credentials in the function's Region, with fast retries and a
// short settle time.
func verifier(double *cfnapi.Server) *cfnverify.Verifier {
	return &cfnverify.Verifier{
		Stacks: &cfnverify.Client{Credentials: credentials.NewStaticCredentialsProvider(iamauthz.FunctionKey, "function-secret", ""),
			Region: "us-east-1", Endpoint: double.URL, Retryer: fastRetryer(), AttemptTimeout: 2 * time.Second},
		FunctionARN: cfnsim.ServiceToken, Settle: 20 * time.Millisecond,
	}
}

// checked reports what is wrong with the check of the requests whose answers
// are puts: each was read in CloudFormation (one DescribeStackResource at
// least; a Delete naming no role need not be), and none was refused or left
// unchecked — CloudFormation sent them
// all, whatever IAM did.
func (r *rig) checked(puts []cfntest.Put) []string {
	var bad []string
	reads := 0
	for _, c := range r.cfn.Calls() {
		if c.Action == cfnapi.DescribeStackResource && c.Status == http.StatusOK {
			reads++
		}
	}
	// A Delete that makes no IAM call is not read (roles.DeletesNothing); its
	// answer names such an id, as may a Create's that was read.
	mayBeUnread := 0
	for _, p := range puts {
		if roles.DeletesNothing(p.Response.PhysicalResourceID) {
			mayBeUnread++
		}
	}
	if reads < len(puts)-mayBeUnread {
		bad = append(bad, fmt.Sprintf("%d answers (%d naming no role), and CloudFormation was read for %d", len(puts), mayBeUnread, reads))
	}
	for _, p := range puts {
		if reason := p.Response.Reason; strings.Contains(reason, cfnverify.ErrRefused.Error()) || strings.Contains(reason, "checking the request against CloudFormation") {
			bad = append(bad, "a request CloudFormation sent was not let through: "+reason)
		}
	}
	return bad
}

// foreignRole is someone else's role in the same path; nothing may touch it.
const foreignRole = "someone-elses-role"

func roleNames(ctx context.Context, c *iam.Client) ([]string, error) {
	out, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range out.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	slices.Sort(names)
	return names, nil
}

// believedState checks IAM against what CloudFormation believes: the roles
// present are exactly the believed one (if any) and the always-present ones,
// plus possibly ones CloudFormation abandoned after a failed cleanup Delete
// (which IAM may or may not have carried out); the believed role matches its
// properties.
func believedState(ctx context.Context, r *rig, always ...string) []string {
	var bad []string
	names, err := roleNames(ctx, r.admin)
	if err != nil {
		return []string{err.Error()}
	}
	for i, n := range names {
		names[i] = iamwire.RoleName(n)
	}
	var want []string
	for _, n := range always {
		want = append(want, iamwire.RoleName(n))
	}
	physical := r.driver.Physical
	if id := roles.ParsePhysicalID(physical); id.Kind == roles.IDAdopted {
		physical = id.RoleName
	}
	if physical != "" {
		want = append(want, iamwire.RoleName(physical))
	}
	slices.Sort(want)
	want = slices.Compact(want)
	// A service-linked role whose creation's answer was lost is adopted, and
	// adopted roles are never deleted: it may stay (by design; see the README).
	lostSLR := slices.Contains(r.faults.LostAnswers(), "CreateServiceLinkedRole")
	mayStay := func(n string) bool {
		return slices.Contains(r.driver.Abandoned, n) || lostSLR && iamwire.RoleName(n) == schema.ServiceLinkedRoleName
	}
	present := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return mayStay(n) && !slices.Contains(want, n) })
	if !slices.Equal(present, want) {
		bad = append(bad, fmt.Sprintf("roles in IAM %v, CloudFormation believes in %v (abandoned %v)", names, want, r.driver.Abandoned))
	}
	if physical != "" && r.driver.Props["RoleType"] != "ServiceLinkedRole" {
		stack, _ := roles.ParseStackID(stackID)
		spec, err := roles.ParseSpec(r.driver.Props, stack, r.driver.LogicalID)
		if err != nil {
			return append(bad, err.Error())
		}
		for _, m := range rolestest.Mismatches(ctx, r.admin, physical, spec) {
			bad = append(bad, "believed role "+physical+": "+m)
		}
	}
	return bad
}

// leftOver counts the abandoned roles that IAM still holds, and whether a
// service-linked role stayed after its creation's answer was lost.
func leftOver(ctx context.Context, r *rig) (abandoned int, lostSLR bool) {
	names, _ := roleNames(ctx, r.admin)
	for _, a := range r.driver.Abandoned {
		if slices.Contains(names, a) {
			abandoned++
		}
	}
	lost := slices.Contains(r.faults.LostAnswers(), "CreateServiceLinkedRole")
	return abandoned, lost && slices.ContainsFunc(names, func(n string) bool { return iamwire.RoleName(n) == schema.ServiceLinkedRoleName })
}

//go:build integration

package reliability_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
	"github.com/qbrole/qbrole/internal/testkit/iamfault"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

var (
	appProps = map[string]any{"RoleName": "fm-app", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}
	appIn    = map[string]any{"RoleName": "fm-app", "Description": "changed", "MaxSessionDuration": "7200",
		"ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "Tags": []any{map[string]any{"Key": "team", "Value": "b"}}}
	appNew = map[string]any{"RoleName": "fm-app-v2", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}
	slr    = map[string]any{"RoleType": "ServiceLinkedRole"}
	// A data-source role (one of the role types that trust one application),
	// then updated in place to another application and the S3 form: its trust
	// and its permissions policy rewritten, the writes of the documents that
	// are the type's own (the application role lifecycles fail the others).
	dsProps = map[string]any{"RoleType": "DataSourceRole", "RoleName": "fm-ds", "ApplicationId": lpApplication, "IndexId": lpIndex,
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}
	dsIn = map[string]any{"RoleType": "DataSourceRole", "RoleName": "fm-ds", "ApplicationId": "b2c3d4e5-f6a7-8901-bcde-f23456789012",
		"IndexId": lpIndex, "BucketName": "qbrole-docs", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}
)

// lifecycle is what CloudFormation does to one resource over a stack's life;
// check runs between its steps and at the end.
type lifecycle struct {
	name   string
	server func() *motoserver.Server
	reset  bool     // reset moto before each run
	always []string // roles that exist whatever happens (foreign, adopted)
	steps  []func(d *cfnsim.Driver) (bool, error)
}

func create(p map[string]any) func(*cfnsim.Driver) (bool, error) {
	return func(d *cfnsim.Driver) (bool, error) { return d.Create(p) }
}

func update(p map[string]any) func(*cfnsim.Driver) (bool, error) {
	return func(d *cfnsim.Driver) (bool, error) {
		if d.Physical == "" {
			return false, nil // the stack never got created: nothing to update
		}
		return d.Update(p)
	}
}

var lifecycles = []lifecycle{
	{name: "application role: create, delete", server: func() *motoserver.Server { return moto }, reset: true,
		always: []string{foreignRole}, steps: []func(*cfnsim.Driver) (bool, error){create(appProps)}},
	{name: "application role: create, update in place, delete", server: func() *motoserver.Server { return moto }, reset: true,
		always: []string{foreignRole}, steps: []func(*cfnsim.Driver) (bool, error){create(appProps), update(appIn)}},
	{name: "application role: create, replace, delete", server: func() *motoserver.Server { return moto }, reset: true,
		always: []string{foreignRole}, steps: []func(*cfnsim.Driver) (bool, error){create(appProps), update(appNew)}},
	{name: "application role → service-linked role (RoleType change), delete", server: func() *motoserver.Server { return moto }, reset: true,
		always: []string{foreignRole}, steps: []func(*cfnsim.Driver) (bool, error){create(appProps), update(slr)}},
	{name: "data-source role: create, update in place, delete", server: func() *motoserver.Server { return moto }, reset: true,
		always: []string{foreignRole}, steps: []func(*cfnsim.Driver) (bool, error){create(dsProps), update(dsIn)}},
	{name: "service-linked role: create new, delete", server: func() *motoserver.Server { return moto }, reset: true,
		always: []string{foreignRole}, steps: []func(*cfnsim.Driver) (bool, error){create(slr)}},
	{name: "service-linked role: adopt, delete", server: func() *motoserver.Server { return motoAdopt },
		always: []string{foreignRole, "AWSServiceRoleForqbusiness"}, steps: []func(*cfnsim.Driver) (bool, error){create(slr)}},
}

// runLifecycle runs one lifecycle with one fault and returns what went wrong,
// the number of IAM requests, and the ids CloudFormation abandoned.
func runLifecycle(c chain, lc lifecycle, rs *cfntest.ResponseServer, kind iamfault.Kind, failAt int) (problems []string, calls, abandoned int, slrLeft bool) {
	ctx := context.Background()
	s := lc.server()
	if lc.reset {
		if err := s.Reset(); err != nil {
			return []string{err.Error()}, 0, 0, false
		}
		if err := rolestest.CreateForeign(ctx, s.IAM("testing", "testing"), foreignRole); err != nil {
			return []string{err.Error()}, 0, 0, false
		}
	}
	timeout := 10 * time.Second
	if kind == iamfault.Slow {
		timeout = 2 * time.Second // the handler's context ends after 1 s; 0.5 s more for cleanup
	}
	r := newRigOn(c, s, rs, "FaultRole", &iamfault.Transport{FailAt: failAt, Kind: kind}, timeout)
	defer r.close()
	putsBefore := len(rs.Puts())
	foreignBefore := rolestest.Snapshot(ctx, r.admin, foreignRole)
	for _, step := range lc.steps {
		if _, err := step(r.driver); err != nil {
			problems = append(problems, err.Error())
		}
		problems = append(problems, believedState(ctx, r, lc.always...)...)
	}
	if err := r.driver.Delete(); err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, believedState(ctx, r, lc.always...)...)
	if after := rolestest.Snapshot(ctx, r.admin, foreignRole); after != foreignBefore {
		problems = append(problems, "foreign role changed:\n"+foreignBefore+"\n"+after)
	}
	problems = append(problems, r.checked(rs.Puts()[putsBefore:])...)
	abandoned, slrLeft = leftOver(ctx, r)
	return problems, r.faults.Count(), abandoned, slrLeft
}

// TestFaultMatrix fails every IAM call of every lifecycle, one at a time, with
// every kind of fault, lets CloudFormation roll back, and checks the outcome.
func TestFaultMatrix(t *testing.T) {
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	ctx := context.Background()
	if _, err := motoAdopt.IAM("testing", "testing").CreateServiceLinkedRole(ctx,
		&iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("qbusiness.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	if err := rolestest.CreateForeign(ctx, motoAdopt.IAM("testing", "testing"), foreignRole); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // older than the adoption grace: a role someone made before

	for _, c := range []chain{viaMoto, strictIAM} {
		t.Run(c.name, func(t *testing.T) { faultMatrix(t, c, rs) })
	}
	applied := map[string]int{}
	for _, s := range []*motoserver.Server{moto, motoAdopt} {
		for k, v := range authz.Layer(s).Applied() {
			applied[k] += v
		}
	}
	var quirks []string
	for _, k := range slices.Sorted(maps.Keys(applied)) {
		quirks = append(quirks, fmt.Sprintf("%s ×%d", k, applied[k]))
	}
	if len(quirks) == 0 {
		t.Error("the strict IAM layer changed no answer: the strict runs tested nothing more than moto")
	}
	fmt.Printf("strict IAM layer, answers it changed in the fault matrix: %s\n", strings.Join(quirks, ", "))
}

// faultMatrix runs every lifecycle with every fault at every IAM call, the
// function's calls reaching moto through chain c.
func faultMatrix(t *testing.T, c chain, rs *cfntest.ResponseServer) {
	runs, passed, events, abandoned, slrsLeft := 0, 0, 0, 0, 0
	for _, lc := range lifecycles {
		problems, calls, _, _ := runLifecycle(c, lc, rs, "", 0)
		if len(problems) > 0 {
			t.Fatalf("%s without faults: %s", lc.name, strings.Join(problems, "\n"))
		}
		for _, kind := range iamfault.Kinds {
			for n := 1; n <= calls; n++ {
				name := fmt.Sprintf("%s/%s/IAM call %d of %d", lc.name, kind, n, calls)
				before := len(rs.Puts())
				problems, _, ab, slrLeft := runLifecycle(c, lc, rs, kind, n)
				runs++
				events += len(rs.Puts()) - before
				abandoned += ab
				if slrLeft {
					slrsLeft++
				}
				if len(problems) > 0 {
					t.Errorf("%s:\n  %s", name, strings.Join(problems, "\n  "))
					continue
				}
				passed++
			}
		}
	}
	// Printed for the figures in docs/FIGURES.md.
	fmt.Printf("fault matrix (through the authorizing proxy, %s): %d lifecycles × every IAM call position × %d fault kinds = %d runs, %d passed, "+
		"%d events each answered exactly once, %d replaced roles left after CloudFormation's three cleanup Delete attempts failed, "+
		"%d service-linked roles left in place (adopted) after their creation's answer was lost\n",
		c.name, len(lifecycles), len(iamfault.Kinds), runs, passed, events, abandoned, slrsLeft)
}

package main

// The figures of the shipped bootstrap under the Lambda Runtime Interface
// Emulator: cold starts and peak memory, each request checked against a
// CloudFormation double of the emulator's account.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/lambdaemu"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// underEmulator adds the cold-start and peak-memory figures of the bootstrap
// built for this machine, run by the emulator against moto, each request
// shown in progress by a CloudFormation double as CloudFormation shows it.
func underEmulator(ctx context.Context, moto *motoserver.Server, rs *cfntest.ResponseServer, root, tmp string, runs int, add adder) error {
	bootstrap, err := lambdaemu.BuildBootstrap(root, tmp)
	if err != nil {
		return err
	}
	rie, err := lambdaemu.EmulatorPath(root)
	if err != nil {
		return err
	}
	cf := cfnapi.Start(cfnapi.Options{Region: lambdaemu.Region, AccountID: lambdaemu.AccountID})
	defer cf.Close()
	env := append(moto.Env(), "QBROLE_ALLOW_LOOPBACK_RESPONSE_URL=true", "AWS_ENDPOINT_URL_CLOUDFORMATION="+cf.URL)
	for n, c := range []struct{ name, file, physical string }{
		{"cold start: Delete of a failed Create (no IAM call, no CloudFormation read)", "delete-application-role.json", roles.FailedCreateID("bench")},
		{"cold start: Create against moto", "create-application-role.json", ""},
	} {
		var times []time.Duration
		for i := range runs {
			if err := moto.Reset(); err != nil {
				return err
			}
			ev, id, err := event(filepath.Join(root, "events", c.file), rs, fmt.Sprintf("cold-%d-%d", n, i), c.physical)
			if err != nil {
				return err
			}
			d, err := coldStart(ctx, rie, bootstrap, env, rs, cf, ev, id)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			times = append(times, d)
		}
		add(c.name+", process start → response PUT", spread(times), "", true)
	}
	rss, err := peakRSS(ctx, rie, bootstrap, env, root, rs, moto, cf)
	if err != nil {
		return err
	}
	add("peak RSS of bootstrap over create → update → replace → delete", mib(rss), "≤ 25 MiB", rss <= rssBudget)
	// Every request but the Deletes of a failed Create (which delete nothing) is read.
	if cf.Reads() < runs+5 {
		return fmt.Errorf("the emulated function read CloudFormation %d times for %d requests that delete or change something: it did not check each", cf.Reads(), runs+5)
	}
	return nil
}

// coldStart times a fresh emulated function from its start to the response
// to ev (request id), which must be SUCCESS.
func coldStart(ctx context.Context, rie, bootstrap string, env []string, rs *cfntest.ResponseServer, cf *cfnapi.Server, ev []byte, id string) (time.Duration, error) {
	answered, err := showSent(cf, ev)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	e, err := lambdaemu.Start(rie, bootstrap, env...)
	if err != nil {
		return 0, err
	}
	_, ierr := e.Invoke(ctx, ev)
	d := time.Since(start)
	e.Close()
	got := rs.ForRequest(id)
	answered(got, true)
	if ierr != nil || len(got) != 1 || got[0].Status != "SUCCESS" {
		return 0, fmt.Errorf("%v %+v", ierr, got)
	}
	return d, nil
}

// event reads an events/ file, moves it into the emulator's account for the
// function it runs, and points it at rs under a fresh request id.
func event(file string, rs *cfntest.ResponseServer, id, physical string) ([]byte, string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, "", err
	}
	toEmulator(ev)
	ev["RequestId"], ev["ResponseURL"] = id, rs.ResponseURL(id)
	if physical != "" {
		ev["PhysicalResourceId"] = physical
	}
	b, err := json.Marshal(ev)
	return b, id, err
}

// peakRSS runs a full lifecycle in one emulated function, each request shown
// in progress by cf as CloudFormation shows it, and reads the bootstrap
// process's VmHWM.
func peakRSS(ctx context.Context, rie, bootstrap string, env []string, root string, rs *cfntest.ResponseServer, moto *motoserver.Server,
	cf *cfnapi.Server) (int64, error) {
	if err := moto.Reset(); err != nil {
		return 0, err
	}
	e, err := lambdaemu.Start(rie, bootstrap, env...)
	if err != nil {
		return 0, err
	}
	defer e.Close()
	for i, f := range []string{"create-application-role.json", "update-application-role.json", "update-replace-application-role.json",
		"delete-replaced-application-role.json", "delete-application-role.json"} {
		ev, id, err := event(filepath.Join(root, "events", f), rs, fmt.Sprintf("rss-%d", i), "")
		if err != nil {
			return 0, err
		}
		answered, err := showSent(cf, ev)
		if err != nil {
			return 0, err
		}
		if _, err := e.Invoke(ctx, ev); err != nil {
			return 0, err
		}
		got := rs.ForRequest(id)
		answered(got, f != "update-replace-application-role.json") // its old role's cleanup Delete comes next
		if len(got) != 1 || got[0].Status != "SUCCESS" {
			return 0, fmt.Errorf("peak RSS lifecycle, %s: %+v", f, got)
		}
	}
	pid := findChild(e.Pid(), "bootstrap")
	if pid == 0 {
		return 0, fmt.Errorf("bootstrap process not found under the emulator")
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for process %d", pid)
}

// findChild finds a descendant process by name through /proc.
func findChild(pid int, name string) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			child, _ := strconv.Atoi(f)
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", child))
			if strings.TrimSpace(string(comm)) == name {
				return child
			}
			if found := findChild(child, name); found != 0 {
				return found
			}
		}
	}
	return 0
}

// emulatedFunction is the function the emulator runs (it names it
// test_function when AWS_LAMBDA_FUNCTION_NAME is not set).
var emulatedFunction = lambdaemu.FunctionARN("test_function")

// toEmulator moves an events/ request into the emulator's account (the
// function checks that a request's stack is in its own account and Region),
// with the emulated function as its ServiceToken.
func toEmulator(ev map[string]any) {
	if id, ok := ev["StackId"].(string); ok {
		ev["StackId"] = strings.Replace(id, ":"+motoserver.AccountID+":", ":"+lambdaemu.AccountID+":", 1)
	}
	ev["ServiceToken"] = emulatedFunction
	for _, k := range []string{"ResourceProperties", "OldResourceProperties"} {
		if props, ok := ev[k].(map[string]any); ok {
			props["ServiceToken"] = emulatedFunction
		}
	}
}

// showSent sets cf's statuses as CloudFormation sets them before it sends
// the request raw; answered sets them after the request's responses got,
// the stack coming to rest if rest.
func showSent(cf *cfnapi.Server, raw []byte) (answered func(got []cfn.Response, rest bool), err error) {
	ev, err := cfnresource.Decode(raw)
	if err != nil {
		return nil, err
	}
	stacks := cf.Stacks()
	stacks.Sent(ev.StackID, ev.LogicalResourceID, ev.ResourceType, ev.RequestType, ev.PhysicalResourceID)
	return func(got []cfn.Response, rest bool) {
		if len(got) == 1 {
			stacks.Answered(ev.StackID, ev.LogicalResourceID, ev.RequestType, ev.PhysicalResourceID, got[0].Status == cfn.StatusSuccess, got[0].PhysicalResourceID)
		}
		if rest {
			stacks.Rest(ev.StackID)
		}
	}, nil
}

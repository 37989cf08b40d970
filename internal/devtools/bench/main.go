// Command bench measures qbrole and prints one table: the shipped bootstrap's
// size, cold start and peak memory under the Lambda Runtime Interface
// Emulator, IAM calls per lifecycle (with budgets it checks), lifecycle
// latency, and 50 concurrent lifecycles — all against moto's server on
// loopback. Times are printed, not asserted, but for one: the Delete of a role
// that is gone (deleted by hand) must answer within goneDeleteBudget, with the
// Manager's default propagation timeout, since it is not to wait for a role
// that may yet appear. A missed size, memory, call or that time budget makes
// it exit 1.
//
// Run it from the repository root: go run ./internal/devtools/bench (or make bench).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/lambdabuild"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
	"github.com/qbrole/qbrole/internal/testkit/lambdaemu"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// Budgets (issue #6).
const (
	sizeBudget = 8 << 20  // bytes, linux/arm64 bootstrap as shipped
	rssBudget  = 25 << 20 // bytes, peak RSS over a full lifecycle
	// goneDeleteBudget bounds the slowest Delete of a role that is gone.
	goneDeleteBudget = 5 * time.Second
)

var callBudgets = []struct {
	name      string
	maxCalls  int // -1: the budget is on writes
	maxWrites int
}{
	{"create application role", 3, -1},
	{"update that changes nothing", -1, 0},
	{"in-place policy change", -1, 1},
	{"delete application role", 5, -1},
	{"delete of a role that is gone", 1, -1},
	{"create service-linked role", 2, -1},
	{"adopt service-linked role", 2, -1},
}

type row struct{ what, value, budget, verdict string }

func main() {
	runs := flag.Int("runs", 7, "fresh processes per cold-start figure, and lifecycles per latency figure")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	ctx := context.Background()
	root, _ := os.Getwd()
	if _, err := os.Stat(filepath.Join(root, "events")); err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	tmp, err := os.MkdirTemp("", "qbrole-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	moto, err := motoserver.Start(ctx)
	if err != nil {
		return err
	}
	defer moto.Close()
	var rows []row
	failed := false
	add := func(what, value, budget string, ok bool) {
		verdict := "ok"
		if budget == "" {
			verdict = ""
		} else if !ok {
			verdict, failed = "OVER", true
		}
		rows = append(rows, row{what, value, budget, verdict})
	}

	// Size of the shipped artifact.
	armDir := filepath.Join(tmp, "arm64")
	cmd := exec.Command("go", lambdabuild.Args(filepath.Join(armDir, "bootstrap"))...)
	cmd.Env = append(os.Environ(), lambdabuild.TargetEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building linux/arm64 bootstrap: %v\n%s", err, out)
	}
	st, err := os.Stat(filepath.Join(armDir, "bootstrap"))
	if err != nil {
		return err
	}
	add("bootstrap size, linux/arm64, stripped", mib(st.Size()), "≤ 8 MiB", st.Size() <= sizeBudget)

	// Cold start and memory under the emulator (this machine's architecture).
	bootstrap, err := lambdaemu.BuildBootstrap(root, tmp)
	if err != nil {
		return err
	}
	rie, err := lambdaemu.EmulatorPath(root)
	if err != nil {
		return err
	}
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	env := append(moto.Env(), "QBROLE_ALLOW_LOOPBACK_RESPONSE_URL=true")
	for _, c := range []struct{ name, file, physical string }{
		{"cold start: Delete of an unknown id (no IAM call)", "delete-application-role.json", roles.FailedCreateID("bench")},
		{"cold start: Create against moto", "create-application-role.json", ""},
	} {
		var times []time.Duration
		for i := range runs {
			if err := moto.Reset(); err != nil {
				return err
			}
			ev, id, err := event(filepath.Join(root, "events", c.file), rs, fmt.Sprintf("cold-%d-%d", len(rows), i), c.physical)
			if err != nil {
				return err
			}
			start := time.Now()
			e, err := lambdaemu.Start(rie, bootstrap, env...)
			if err != nil {
				return err
			}
			_, ierr := e.Invoke(ctx, ev)
			d := time.Since(start)
			e.Close()
			if got := rs.ForRequest(id); ierr != nil || len(got) != 1 || got[0].Status != "SUCCESS" {
				return fmt.Errorf("%s: %v %+v", c.name, ierr, got)
			}
			times = append(times, d)
		}
		add(c.name+", process start → response PUT", spread(times), "", true)
	}
	rss, err := peakRSS(ctx, rie, bootstrap, env, root, rs, moto)
	if err != nil {
		return err
	}
	add("peak RSS of bootstrap over create → update → replace → delete", mib(rss), "≤ 25 MiB", rss <= rssBudget)

	// IAM calls per lifecycle, at the HTTP level.
	calls, err := countCalls(ctx, moto, root)
	if err != nil {
		return err
	}
	for _, b := range callBudgets {
		c := calls[b.name]
		switch {
		case b.maxCalls >= 0:
			add("IAM calls: "+b.name, fmt.Sprintf("%d (%s)", len(c.all), strings.Join(c.all, ", ")), fmt.Sprintf("≤ %d calls", b.maxCalls), len(c.all) <= b.maxCalls)
		default:
			add("IAM writes: "+b.name, fmt.Sprintf("%d %v (of %d calls)", len(c.writes), c.writes, len(c.all)), fmt.Sprintf("≤ %d writes", b.maxWrites), len(c.writes) <= b.maxWrites)
		}
	}

	// Latency and concurrency, in-process against moto.
	lat, err := lifecycleLatency(moto, rs, runs)
	if err != nil {
		return err
	}
	add("lifecycle create → update → delete against moto", spread(lat), "", true)
	gone, err := goneDeleteLatency(ctx, moto, rs, runs)
	if err != nil {
		return err
	}
	add("Delete of a role that is gone", spread(gone), "≤ 5 s (slowest run)", slices.Max(gone) <= goneDeleteBudget)
	wall, perSec, err := concurrent(moto, rs, 50)
	if err != nil {
		return err
	}
	add("50 concurrent lifecycles (create → update → delete)", fmt.Sprintf("%v wall, %.0f IAM calls/s", wall.Round(time.Millisecond), perSec), "", true)

	fmt.Printf("\nqbrole benchmark — %s, %d cores, %s; %d runs per figure\n\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version(), runs)
	printTable(rows)
	if failed {
		return fmt.Errorf("a budget was missed")
	}
	fmt.Println("\nevery budget met") // make bench records the table only after this line
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB (%d bytes)", float64(n)/(1<<20), n) }

// spread is the median with the fastest and slowest run.
func spread(ds []time.Duration) string {
	slices.Sort(ds)
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	return fmt.Sprintf("median %v (min %v, max %v)", r(ds[len(ds)/2]), r(ds[0]), r(ds[len(ds)-1]))
}

// event reads an events/ file and points it at rs under a fresh request id.
func event(file string, rs *cfntest.ResponseServer, id, physical string) ([]byte, string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, "", err
	}
	ev["RequestId"], ev["ResponseURL"] = id, rs.ResponseURL(id)
	if physical != "" {
		ev["PhysicalResourceId"] = physical
	}
	b, err := json.Marshal(ev)
	return b, id, err
}

// peakRSS runs a full lifecycle in one emulated function and reads the
// bootstrap process's VmHWM.
func peakRSS(ctx context.Context, rie, bootstrap string, env []string, root string, rs *cfntest.ResponseServer, moto *motoserver.Server) (int64, error) {
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
		ev, _, err := event(filepath.Join(root, "events", f), rs, fmt.Sprintf("rss-%d", i), "")
		if err != nil {
			return 0, err
		}
		if _, err := e.Invoke(ctx, ev); err != nil {
			return 0, err
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

type counted struct{ all, writes []string }

// countCalls runs each budgeted step against moto and counts its IAM calls.
func countCalls(ctx context.Context, moto *motoserver.Server, root string) (map[string]counted, error) {
	if err := moto.Reset(); err != nil {
		return nil, err
	}
	rec := &motoserver.Recorder{}
	m := &roles.Manager{IAM: moto.IAM("testing", "testing", func(o *iam.Options) { o.HTTPClient = &http.Client{Transport: rec} })}
	load := func(file string, change func(map[string]any)) (map[string]any, error) {
		raw, err := os.ReadFile(filepath.Join(root, "events", file))
		if err != nil {
			return nil, err
		}
		var ev map[string]any
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		if change != nil {
			change(ev)
		}
		return ev, nil
	}
	out := map[string]counted{}
	handle := func(name, file string, change func(map[string]any)) error {
		ev, err := load(file, change)
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(ev)
		decoded, err := cfnresource.Decode(raw)
		if err != nil {
			return err
		}
		if _, err := m.Handle(ctx, decoded); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	step := func(name, file string, change func(map[string]any)) error {
		rec.Reset()
		if err := handle(name, file, change); err != nil {
			return err
		}
		out[name] = counted{rec.Actions(), rec.Writes()}
		return nil
	}
	create, _ := load("create-application-role.json", nil)
	same := func(ev map[string]any) {
		ev["ResourceProperties"], ev["OldResourceProperties"] = create["ResourceProperties"], create["ResourceProperties"]
	}
	policyChange := func(ev map[string]any) {
		props := map[string]any{}
		for k, v := range create["ResourceProperties"].(map[string]any) {
			props[k] = v
		}
		props["ApplicationId"] = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
		ev["ResourceProperties"], ev["OldResourceProperties"] = props, create["ResourceProperties"]
	}
	for _, s := range []struct {
		name, file string
		change     func(map[string]any)
	}{
		{"create application role", "create-application-role.json", nil},
		{"update that changes nothing", "update-application-role.json", same},
		{"in-place policy change", "update-application-role.json", policyChange},
		{"delete application role", "delete-application-role.json", func(ev map[string]any) {
			ev["PhysicalResourceId"] = "qbusiness-demo-app-role"
		}},
		{"create service-linked role", "create-service-linked-role.json", nil},
	} {
		if err := step(s.name, s.file, s.change); err != nil {
			return nil, err
		}
	}
	// A role created by this resource, then deleted by hand through another
	// client: only its Delete is counted.
	const goneRole = "bench-gone-role"
	named := func(ev map[string]any) {
		ev["ResourceProperties"].(map[string]any)["RoleName"] = goneRole
		if ev["RequestType"] == "Delete" {
			ev["PhysicalResourceId"] = goneRole
		}
	}
	if err := handle("create a role to delete by hand", "create-application-role.json", named); err != nil {
		return nil, err
	}
	if err := deleteByHand(ctx, moto.IAM("testing", "testing"), goneRole); err != nil {
		return nil, err
	}
	if err := step("delete of a role that is gone", "delete-application-role.json", named); err != nil {
		return nil, err
	}
	time.Sleep(2100 * time.Millisecond) // older than the adoption grace
	if err := step("adopt service-linked role", "create-service-linked-role.json", func(ev map[string]any) { ev["LogicalResourceId"] = "Other" }); err != nil {
		return nil, err
	}
	return out, nil
}

func driver(moto *motoserver.Server, rs *cfntest.ResponseServer, logical string, rec http.RoundTripper) *cfnsim.Driver {
	m := &roles.Manager{IAM: moto.IAM("testing", "testing", func(o *iam.Options) { o.HTTPClient = &http.Client{Transport: rec} })}
	r := resource.NewRunner(resource.Handler(m), &cfnresource.HTTPSender{AllowLoopback: true}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	return &cfnsim.Driver{
		Invoke:    func(ctx context.Context, ev []byte) error { _, err := r.Run(ctx, ev); return err },
		Responses: rs, LogicalID: logical, Timeout: time.Minute,
		StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/0f0e0d0c-0b0a-4909-8807-060504030201",
	}
}

func lifecycle(d *cfnsim.Driver, name string) error {
	if ok, err := d.Create(map[string]any{"RoleName": name}); !ok || err != nil {
		return fmt.Errorf("create %s: %v", name, err)
	}
	if ok, err := d.Update(map[string]any{"RoleName": name, "Description": "updated"}); !ok || err != nil {
		return fmt.Errorf("update %s: %v", name, err)
	}
	return d.Delete()
}

func lifecycleLatency(moto *motoserver.Server, rs *cfntest.ResponseServer, runs int) ([]time.Duration, error) {
	var ds []time.Duration
	for i := range runs {
		d := driver(moto, rs, fmt.Sprintf("Lat%d", i), http.DefaultTransport)
		start := time.Now()
		if err := lifecycle(d, fmt.Sprintf("latency-%d", i)); err != nil {
			return nil, err
		}
		ds = append(ds, time.Since(start))
	}
	return ds, nil
}

// goneDeleteLatency times, runs times, the Delete of a role this resource
// created and an administrator then deleted by hand through another IAM
// client, with the harness of lifecycleLatency: the Manager as the shipped
// function configures it (default propagation timeout), under a Runner.
func goneDeleteLatency(ctx context.Context, moto *motoserver.Server, rs *cfntest.ResponseServer, runs int) ([]time.Duration, error) {
	admin := moto.IAM("testing", "testing")
	var ds []time.Duration
	for i := range runs {
		d := driver(moto, rs, fmt.Sprintf("Gone%d", i), http.DefaultTransport)
		name := fmt.Sprintf("gone-%d", i)
		if ok, err := d.Create(map[string]any{"RoleName": name}); !ok || err != nil {
			return nil, fmt.Errorf("create %s: %v", name, err)
		}
		if d.Physical != name {
			return nil, fmt.Errorf("create %s: PhysicalResourceId %q, want the role's name", name, d.Physical)
		}
		if err := deleteByHand(ctx, admin, name); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := d.Delete(); err != nil {
			return nil, fmt.Errorf("delete of %s, gone: %w", name, err)
		}
		ds = append(ds, time.Since(start))
	}
	return ds, nil
}

// deleteByHand deletes a role as an administrator would in the console:
// inline policies, managed policies, then the role; and checks that IAM no
// longer shows it.
// deleteByHand deletes the role as a person would, and checks IAM no longer has it.
func deleteByHand(ctx context.Context, admin *iam.Client, name string) error {
	if err := rolestest.DeleteByHand(ctx, admin, name); err != nil {
		return err
	}
	_, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	var gone *types.NoSuchEntityException
	if !errors.As(err, &gone) {
		return fmt.Errorf("deleting %s by hand: GetRole afterwards: %v, want NoSuchEntity", name, err)
	}
	return nil
}

func concurrent(moto *motoserver.Server, rs *cfntest.ResponseServer, n int) (time.Duration, float64, error) {
	if err := moto.Reset(); err != nil {
		return 0, 0, err
	}
	rec := &motoserver.Recorder{}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lifecycle(driver(moto, rs, fmt.Sprintf("Conc%d", i), rec), fmt.Sprintf("concurrent-%d", i))
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	return wall, float64(len(rec.Actions())) / wall.Seconds(), nil
}

func printTable(rows []row) {
	w := [3]int{len("measure"), len("value"), len("budget")}
	for _, r := range rows {
		w[0], w[1], w[2] = max(w[0], len([]rune(r.what))), max(w[1], len([]rune(r.value))), max(w[2], len([]rune(r.budget)))
	}
	line := func(a, b, c, d string) {
		fmt.Printf("| %-*s | %-*s | %-*s | %-4s |\n", w[0], a, w[1], b, w[2], c, d)
	}
	line("measure", "value", "budget", "")
	fmt.Printf("|%s|%s|%s|------|\n", strings.Repeat("-", w[0]+2), strings.Repeat("-", w[1]+2), strings.Repeat("-", w[2]+2))
	for _, r := range rows {
		line(r.what, r.value, r.budget, r.verdict)
	}
}

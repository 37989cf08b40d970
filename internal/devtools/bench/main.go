// Command bench measures qbrole and prints one table: the shipped bootstrap's
// size, cold start and peak memory under the Lambda Runtime Interface
// Emulator, IAM calls and CloudFormation reads per lifecycle (with budgets it
// checks; the check of each request against CloudFormation reads a local
// double of CloudFormation's API, internal/testkit/cfnapi), lifecycle
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
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/lambdabuild"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
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

// adder adds a row to the table: a figure, its budget ("" for none), and
// whether the budget is met.
type adder func(what, value, budget string, ok bool)

// table is the rows so far, and whether a budget was missed.
type table struct {
	rows   []row
	failed bool
}

func (t *table) add(what, value, budget string, ok bool) {
	verdict := "ok"
	if budget == "" {
		verdict = ""
	} else if !ok {
		verdict, t.failed = "OVER", true
	}
	t.rows = append(t.rows, row{what, value, budget, verdict})
}

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
	cf := cfnapi.Start(cfnapi.Options{})
	defer cf.Close()
	t := &table{}
	add := t.add

	if err := size(tmp, add); err != nil {
		return err
	}
	// Cold start and memory under the emulator (this machine's architecture).
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	if err := underEmulator(ctx, moto, rs, root, tmp, runs, add); err != nil {
		return err
	}
	// IAM calls and CloudFormation reads per lifecycle, at the HTTP level.
	calls, err := countCalls(ctx, moto, cf, root)
	if err != nil {
		return err
	}
	for _, b := range callBudgets {
		what := "IAM calls: "
		if b.maxCalls < 0 {
			what = "IAM writes: "
		}
		value, budget, ok := callsRow(calls[b.name], b.maxCalls, b.maxWrites)
		add(what+b.name, value, budget, ok)
	}
	if err := timings(ctx, moto, rs, cf, runs, add); err != nil {
		return err
	}

	fmt.Printf("\nqbrole benchmark — %s, %d cores, %s; %d runs per figure\n\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version(), runs)
	printTable(t.rows)
	if t.failed {
		return fmt.Errorf("a budget was missed")
	}
	fmt.Println("\nevery budget met") // make bench records the table only after this line
	return nil
}

// size adds the size of the shipped artifact.
func size(tmp string, add adder) error {
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
	return nil
}

// timings adds latency and concurrency, in-process against moto.
func timings(ctx context.Context, moto *motoserver.Server, rs *cfntest.ResponseServer, cf *cfnapi.Server, runs int, add adder) error {
	lat, err := lifecycleLatency(moto, rs, cf, runs)
	if err != nil {
		return err
	}
	add("lifecycle create → update → delete against moto", spread(lat), "", true)
	gone, err := goneDeleteLatency(ctx, moto, rs, cf, runs)
	if err != nil {
		return err
	}
	add("Delete of a role that is gone", spread(gone), "≤ 5 s (slowest run)", slices.Max(gone) <= goneDeleteBudget)
	reads := cf.Reads()
	wall, perSec, err := concurrent(moto, rs, cf, 50)
	if err != nil {
		return err
	}
	add("50 concurrent lifecycles (create → update → delete)", fmt.Sprintf("%v wall, %.0f IAM calls/s, %d CloudFormation reads",
		wall.Round(time.Millisecond), perSec, cf.Reads()-reads), "", true)
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB (%d bytes)", float64(n)/(1<<20), n) }

// spread is the median with the fastest and slowest run.
func spread(ds []time.Duration) string {
	slices.Sort(ds)
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	return fmt.Sprintf("median %v (min %v, max %v)", r(ds[len(ds)/2]), r(ds[0]), r(ds[len(ds)-1]))
}

// driver is one resource of a stack of its own, its requests checked against
// CloudFormation (the double cf, which the driver keeps showing them).
func driver(moto *motoserver.Server, rs *cfntest.ResponseServer, cf *cfnapi.Server, logical string, rec http.RoundTripper) *cfnsim.Driver {
	m := &roles.Manager{IAM: moto.IAM("testing", "testing", func(o *iam.Options) { o.HTTPClient = &http.Client{Transport: rec} })}
	r := resource.NewRunner(checked(cf, cfnsim.ServiceToken, resource.Handler(m)), &cfnresource.HTTPSender{AllowLoopback: true},
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	return &cfnsim.Driver{
		Invoke:    func(ctx context.Context, ev []byte) error { _, err := r.Run(ctx, ev); return err },
		Responses: rs, LogicalID: logical, Timeout: time.Minute, Stacks: cf.Stacks(),
		StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/bench-" + logical + "/0f0e0d0c-0b0a-4909-8807-060504030201",
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

func lifecycleLatency(moto *motoserver.Server, rs *cfntest.ResponseServer, cf *cfnapi.Server, runs int) ([]time.Duration, error) {
	var ds []time.Duration
	for i := range runs {
		d := driver(moto, rs, cf, fmt.Sprintf("Lat%d", i), http.DefaultTransport)
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
func goneDeleteLatency(ctx context.Context, moto *motoserver.Server, rs *cfntest.ResponseServer, cf *cfnapi.Server, runs int) ([]time.Duration, error) {
	admin := moto.IAM("testing", "testing")
	var ds []time.Duration
	for i := range runs {
		d := driver(moto, rs, cf, fmt.Sprintf("Gone%d", i), http.DefaultTransport)
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

func concurrent(moto *motoserver.Server, rs *cfntest.ResponseServer, cf *cfnapi.Server, n int) (time.Duration, float64, error) {
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
			errs[i] = lifecycle(driver(moto, rs, cf, fmt.Sprintf("Conc%d", i), rec), fmt.Sprintf("concurrent-%d", i))
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

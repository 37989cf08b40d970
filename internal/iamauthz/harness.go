package iamauthz

import (
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfntemplate"
	"github.com/qbrole/qbrole/internal/motoserver"
)

// Deployment is where the tests take template.yaml to be deployed: moto's account.
var Deployment = cfntemplate.Deployment{Partition: "aws", AccountID: motoserver.AccountID, Region: "us-east-1", StackName: "qbrole"}

// FunctionKey is the access key id of the function's credentials at every proxy.
const FunctionKey = "ASIAQBROLEFUNCTION"

// Harness is a test package's evaluator, template.yaml's function, and a
// proxy in front of each of its moto servers.
type Harness struct {
	Evaluator *Evaluator
	Function  Function
	proxies   map[*motoserver.Server]*Proxy
}

// RunTests is a test package's TestMain body: it starts one moto server per
// pointer in servers, the evaluator, and a proxy in front of each server
// that judges the function's calls against template.yaml's policy; runs the
// tests; stops everything; exits.
func RunTests(m interface{ Run() int }, h **Harness, servers ...**motoserver.Server) {
	motoserver.RunTests(runner(func() int {
		harness, err := start(servers)
		if err != nil {
			fmt.Fprintln(os.Stderr, "the authorizing proxy:", err)
			return 1
		}
		defer harness.close()
		*h = harness
		code := m.Run()
		if f := flag.Lookup("test.run"); code == 0 && (f == nil || f.Value.String() == "") && harness.judged() == 0 {
			fmt.Fprintln(os.Stderr, "the authorizing proxy judged no call: the tests went around it")
			return 1
		}
		return code
	}), servers...)
}

type runner func() int

func (r runner) Run() int { return r() }

func start(servers []**motoserver.Server) (*Harness, error) {
	eval, err := StartEvaluator()
	if err != nil {
		return nil, err
	}
	fn, err := SAMFunction(Deployment)
	if err != nil {
		eval.Close()
		return nil, err
	}
	h := &Harness{Evaluator: eval, Function: fn, proxies: map[*motoserver.Server]*Proxy{}}
	for _, s := range servers {
		p, err := h.NewProxy(*s, fn.Policies)
		if err != nil {
			h.close()
			return nil, err
		}
		h.proxies[*s] = p
	}
	return h, nil
}

func (h *Harness) judged() int {
	n := 0
	for _, p := range h.proxies {
		n += len(p.Decisions())
	}
	return n
}

func (h *Harness) close() {
	for _, p := range h.proxies {
		p.Close()
	}
	h.Evaluator.Close()
}

// Proxy is the proxy in front of s.
func (h *Harness) Proxy(s *motoserver.Server) *Proxy { return h.proxies[s] }

// NewProxy starts another proxy in front of s that gives the function these
// policies; the caller closes it.
func (h *Harness) NewProxy(s *motoserver.Server, policies []Policy) (*Proxy, error) {
	return NewProxy(s.URL, s.IAM("testing", "testing"), h.Evaluator, Deployment.AccountID, h.Function.ARN,
		map[string]Caller{FunctionKey: {Principal: h.Function.Principal, Policies: policies}})
}

// Client is an IAM client with the function's credentials, calling IAM at
// base (a proxy's Inside or Outside).
func Client(s *motoserver.Server, base string, optFns ...func(*iam.Options)) *iam.Client {
	return s.IAM(FunctionKey, functionSecret, append([]func(*iam.Options){func(o *iam.Options) {
		o.BaseEndpoint = aws.String(base)
	}}, optFns...)...)
}

// Env is the environment of the function's process (the bootstrap binary, the
// CLI): its credentials, calling IAM from inside the function.
func (p *Proxy) Env() []string { return motoserver.ClientEnv(p.Inside, FunctionKey, functionSecret) }

const functionSecret = "function-secret"

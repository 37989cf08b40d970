package iamauthz

import (
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
	"github.com/qbrole/qbrole/internal/testkit/iamstrict"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// Deployment is where the tests take template.yaml to be deployed: moto's account.
var Deployment = cfntemplate.Deployment{Partition: "aws", AccountID: motoserver.AccountID, Region: "us-east-1", StackName: "qbrole"}

// FunctionKey is the access key id of the function's credentials at every proxy.
const FunctionKey = "ASIAQBROLEFUNCTION"

// Harness is a test package's evaluator, template.yaml's function, and in
// front of each of its moto servers two chains: a proxy to moto, and a proxy
// to the strict IAM layer (internal/testkit/iamstrict) to moto.
type Harness struct {
	Evaluator *Evaluator
	Function  Function
	proxies   map[*motoserver.Server]*Proxy
	strict    map[*motoserver.Server]*Proxy
	layers    map[*motoserver.Server]*iamstrict.Layer
}

// StrictOptions are the strict layer's quirks of time in every harness: the
// function's first two requests naming a role it has just created find it not
// visible yet, its first GetRole after that gives the unique id as Arn, and
// the first two deletion tasks of the service-linked role fail (in use).
var StrictOptions = iamstrict.Options{Subjects: []string{FunctionKey}, NotVisible: 2, ARNLag: 1, SLRInUse: 2}

// RunTests is a test package's TestMain body: it starts one moto server per
// pointer in servers, the evaluator, and a proxy in front of each server
// that judges the function's calls against template.yaml's policy; runs the
// tests; stops everything; exits.
func RunTests(m interface{ Run() int }, h **Harness, servers ...**motoserver.Server) {
	RunTestsAs(motoserver.AccountID, m, h, servers...)
}

// RunTestsAs is RunTests in another account: moto's servers and Deployment
// (template.yaml's policy, the proxies' ARNs) take account.
func RunTestsAs(account string, m interface{ Run() int }, h **Harness, servers ...**motoserver.Server) {
	Deployment.AccountID = account
	motoserver.RunTestsAs(account, runner(func() int {
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
	h := &Harness{Evaluator: eval, Function: fn, proxies: map[*motoserver.Server]*Proxy{},
		strict: map[*motoserver.Server]*Proxy{}, layers: map[*motoserver.Server]*iamstrict.Layer{}}
	for _, s := range servers {
		p, err := h.NewProxy(*s, fn.Policies)
		if err != nil {
			h.close()
			return nil, err
		}
		h.proxies[*s] = p
		layer, err := iamstrict.Start((*s).URL, (*s).IAM("testing", "testing"), StrictOptions)
		if err != nil {
			h.close()
			return nil, err
		}
		h.layers[*s] = layer
		sp, err := NewProxy(layer.URL, (*s).IAM("testing", "testing", func(o *iam.Options) { o.BaseEndpoint = aws.String(layer.URL) }), eval, Deployment.AccountID, fn.ARN,
			map[string]Caller{FunctionKey: {Principal: fn.Principal, Policies: fn.Policies}})
		if err != nil {
			h.close()
			return nil, err
		}
		h.strict[*s] = sp
	}
	return h, nil
}

func (h *Harness) judged() int {
	n := 0
	for _, p := range h.proxies {
		n += len(p.Decisions())
	}
	for _, p := range h.strict {
		n += len(p.Decisions())
	}
	return n
}

func (h *Harness) close() {
	for _, p := range h.proxies {
		p.Close()
	}
	for _, p := range h.strict {
		p.Close()
	}
	for _, l := range h.layers {
		l.Close()
	}
	h.Evaluator.Close()
}

// Proxy is the proxy in front of s.
func (h *Harness) Proxy(s *motoserver.Server) *Proxy { return h.proxies[s] }

// StrictEnv names the environment variable that sends the lifecycle tests
// through the strict layer: QBROLE_TEST_IAM=strict (make test runs both).
const StrictEnv = "QBROLE_TEST_IAM"

// Chain is the proxy in front of s that this test run asks for (through the
// strict layer when StrictEnv says so), and a client with the tests' own
// credentials that sees IAM's state through the same chain.
func (h *Harness) Chain(s *motoserver.Server) (*Proxy, *iam.Client) {
	if os.Getenv(StrictEnv) == "strict" {
		return h.strict[s], s.IAM("testing", "testing", func(o *iam.Options) { o.BaseEndpoint = aws.String(h.layers[s].URL) })
	}
	return h.proxies[s], s.IAM("testing", "testing")
}

// Strict is the proxy in front of the strict layer in front of s.
func (h *Harness) Strict(s *motoserver.Server) *Proxy { return h.strict[s] }

// Layer is the strict layer in front of s.
func (h *Harness) Layer(s *motoserver.Server) *iamstrict.Layer { return h.layers[s] }

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

//go:build integration

package iamauthz_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

var (
	moto  *motoserver.Server
	authz *iamauthz.Harness
)

func TestMain(m *testing.M) { iamauthz.RunTests(m, &authz, &moto) }

var deployment = cfntemplate.Deployment{Partition: "aws", AccountID: "123456789012", Region: "eu-west-1", StackName: "qbrole"}

// template.yaml's policy decides every catalogue case as wanted: the code's
// calls only from inside the function, no attack from anywhere, and the one
// gap only from inside.
func TestCatalogueOnTemplateYAML(t *testing.T) {
	fn, err := iamauthz.SAMFunction(deployment)
	if err != nil {
		t.Fatal(err)
	}
	cases := iamauthz.Catalogue(fn, deployment.Partition, deployment.AccountID)
	v, err := iamauthz.Judge(authz.Evaluator, fn, cases)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range v.Failures {
		t.Error(f)
	}
	if got := v.Counts[iamauthz.Outside][iamauthz.Allowed] + v.Counts[iamauthz.OtherFunction][iamauthz.Allowed]; got != 0 {
		t.Errorf("%d calls allowed from outside the function", got)
	}
	fmt.Printf("attack suite (decisions, template.yaml's policy): %d checks, %d as wanted\n%s", len(cases), len(cases)-len(v.Failures), v)
}

// With RequireSourceFunctionArn=false the guard is gone: the code's calls are
// allowed from anywhere again, while ownership strips and moves stay denied.
// (So the guard is what denies the outside calls above.)
func TestCatalogueWithoutOriginGuard(t *testing.T) {
	d := deployment
	d.Params = map[string]string{"RequireSourceFunctionArn": "false"}
	fn, err := iamauthz.SAMFunction(d)
	if err != nil {
		t.Fatal(err)
	}
	v, err := iamauthz.Judge(authz.Evaluator, fn, iamauthz.Catalogue(fn, d.Partition, d.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	outsideAllowed, attacksAllowed := 0, 0
	for _, f := range v.Failures {
		switch {
		case !strings.Contains(f, "want Denied"):
			t.Errorf("inside call not allowed: %s", f)
		case strings.Contains(f, "strip") || strings.Contains(f, "move a role") || strings.Contains(f, "rewrite the ownership") || strings.Contains(f, "take over"):
			attacksAllowed++
			t.Errorf("without the guard: %s", f)
		default:
			outsideAllowed++
		}
	}
	if outsideAllowed == 0 {
		t.Error("without the guard, no outside call became allowed: the guard is not what denies them")
	}
}

func TestEvaluatorRefusesWhatItCannotJudge(t *testing.T) {
	_, err := authz.Evaluator.Evaluate(iamauthz.Check{Principal: "arn:aws:iam::123456789012:user/u", Action: "iam:GetRole",
		Resource: "arn:aws:iam::123456789012:role/r", Account: "123456789012"},
		[]iamauthz.Policy{{Name: "bad", Document: map[string]any{"Version": "2012-10-17", "Statement": "not a list"}}})
	if err == nil {
		t.Error("an invalid policy was judged")
	}
}

package iamauthz

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
	"github.com/qbrole/qbrole/internal/testkit/devenv"
)

// Function is the provider function as a deployment of a template makes it:
// its ARN, the principal its calls are made as, and that principal's policies.
type Function struct {
	ARN       string
	Principal string
	Policies  []Policy
}

// FunctionOf reads the function resource functionID of tpl, deployed as d.
func FunctionOf(tpl cfntemplate.Template, functionID string, d cfntemplate.Deployment) (Function, error) {
	roleID, err := tpl.FunctionRole(functionID)
	if err != nil {
		return Function{}, err
	}
	found, err := tpl.RolePolicies(roleID, d)
	if err != nil {
		return Function{}, err
	}
	fn := Function{
		ARN: d.FunctionARN(functionID),
		// The calls of a Lambda function are made by its execution role's
		// session, named after the function.
		Principal: fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s-%s/%s-%s", d.Partition, d.AccountID, d.StackName, roleID, d.StackName, functionID),
	}
	for _, p := range found {
		fn.Policies = append(fn.Policies, Policy{Name: p.Name, Document: p.Document})
	}
	return fn, nil
}

// SAMFunction is the function of this module's template.yaml, deployed as d.
func SAMFunction(d cfntemplate.Deployment) (Function, error) {
	root, err := devenv.ModuleRoot()
	if err != nil {
		return Function{}, err
	}
	tpl, err := cfntemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return Function{}, err
	}
	return FunctionOf(tpl, "QBusinessRoleFunction", d)
}

// Without returns policies with action taken out of every Allow statement
// (a statement left with no action goes).
func Without(policies []Policy, action string) []Policy {
	out := make([]Policy, 0, len(policies))
	for _, p := range policies {
		sts, _ := p.Document["Statement"].([]any)
		var kept []any
		for _, s := range sts {
			st, _ := s.(map[string]any)
			if st["Effect"] == "Deny" {
				kept = append(kept, st)
				continue
			}
			actions := slices.DeleteFunc(cfntemplate.Strings(st["Action"]), func(a string) bool { return a == action })
			if len(actions) == 0 {
				continue
			}
			c := map[string]any{}
			for k, v := range st {
				c[k] = v
			}
			c["Action"] = actions
			kept = append(kept, c)
		}
		doc := map[string]any{}
		for k, v := range p.Document {
			doc[k] = v
		}
		doc["Statement"] = kept
		out = append(out, Policy{Name: p.Name, Document: doc})
	}
	return out
}

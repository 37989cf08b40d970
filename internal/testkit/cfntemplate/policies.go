package cfntemplate

import (
	"fmt"
	"reflect"
)

// Deployment is a made-up deployment of a template: what CloudFormation would
// fill in for pseudo parameters, Refs and the Arn attributes of the resources
// the tests look at. Physical names are STACK-LOGICALID.
type Deployment struct {
	Partition, AccountID, Region, StackName string
	// Params overrides parameter defaults.
	Params map[string]string
}

// FunctionARN is the ARN the deployment gives a function resource.
func (d Deployment) FunctionARN(logicalID string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", d.Partition, d.Region, d.AccountID, d.physical(logicalID))
}

// RoleARN is the ARN the deployment gives a role resource.
func (d Deployment) RoleARN(logicalID string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", d.Partition, d.AccountID, d.physical(logicalID))
}

func (d Deployment) physical(logicalID string) string { return d.StackName + "-" + logicalID }

// Env is the deployment as the resolver's environment for template t.
func (d Deployment) Env(t Template) Env {
	return Env{
		Pseudo: map[string]string{
			"AWS::Partition": d.Partition, "AWS::AccountId": d.AccountID, "AWS::Region": d.Region,
			"AWS::StackName": d.StackName, "AWS::URLSuffix": "amazonaws.com",
			"AWS::StackId": fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/0f0e0d0c-0b0a-4909-8807-060504030201", d.Partition, d.Region, d.AccountID, d.StackName),
		},
		Params: d.Params,
		Ref:    func(id string) (string, error) { return d.physical(id), nil },
		GetAtt: func(id, attr string) (string, error) {
			typ, _ := t.Resource(id)["Type"].(string)
			switch {
			case attr != "Arn":
			case typ == "AWS::Lambda::Function" || typ == "AWS::Serverless::Function":
				return d.FunctionARN(id), nil
			case typ == "AWS::IAM::Role":
				return d.RoleARN(id), nil
			case typ == "AWS::Logs::LogGroup":
				return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", d.Partition, d.Region, d.AccountID, d.physical(id)), nil
			}
			return "", fmt.Errorf("Fn::GetAtt %s.%s (%s): not modelled", id, attr, typ)
		},
	}
}

// Policy is one identity policy of a role, resolved.
type Policy struct {
	Name     string
	Document map[string]any
}

// RolePolicies returns every identity policy the template gives the role
// roleID, resolved for the deployment: the role's inline Policies, and the
// AWS::IAM::RolePolicy and AWS::IAM::Policy resources that name it.
func (t Template) RolePolicies(roleID string, d Deployment) ([]Policy, error) {
	env := d.Env(t)
	ref := map[string]any{"Ref": roleID}
	type raw struct {
		name string
		doc  any
	}
	var found []raw
	for _, p := range asList(t.Props(roleID)["Policies"]) {
		found = append(found, raw{fmt.Sprint(Lookup(p, "PolicyName")), Lookup(p, "PolicyDocument")})
	}
	for _, id := range t.Resources("AWS::IAM::RolePolicy") {
		if reflect.DeepEqual(t.Props(id)["RoleName"], ref) {
			found = append(found, raw{id, t.Props(id)["PolicyDocument"]})
		}
	}
	for _, id := range t.Resources("AWS::IAM::Policy") {
		for _, r := range asList(t.Props(id)["Roles"]) {
			if reflect.DeepEqual(r, ref) {
				found = append(found, raw{id, t.Props(id)["PolicyDocument"]})
			}
		}
	}
	var out []Policy
	for _, f := range found {
		doc, err := t.Resolve(f.doc, env)
		if err != nil {
			return nil, fmt.Errorf("policy %s of %s: %w", f.name, roleID, err)
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("policy %s of %s: not a document", f.name, roleID)
		}
		out = append(out, Policy{Name: f.name, Document: m})
	}
	return out, nil
}

// FunctionRole returns the logical id of the role a function resource runs as
// (its Role is Fn::GetAtt ROLE.Arn).
func (t Template) FunctionRole(functionID string) (string, error) {
	role, _ := t.Props(functionID)["Role"].(map[string]any)
	att, _ := role["Fn::GetAtt"].([]any)
	if len(att) != 2 || att[1] != "Arn" {
		return "", fmt.Errorf("function %s: Role %v is not Fn::GetAtt ROLE.Arn", functionID, t.Props(functionID)["Role"])
	}
	return fmt.Sprint(att[0]), nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

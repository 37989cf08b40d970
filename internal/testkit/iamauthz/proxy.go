package iamauthz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/iamwire"
)

// Caller is whoever holds one access key: the principal IAM sees, and the
// identity policies it has.
type Caller struct {
	Principal string
	Policies  []Policy
}

// Decision is one check the proxy made, with its origin and result.
type Decision struct {
	Check
	// Request is the API call the check is for (CreateRole with tags is also
	// checked as iam:TagRole).
	Request string
	// Inside tells a call made from inside the function.
	Inside bool
	Result string
}

// Proxy authorizes IAM requests in front of moto. It listens twice: calls
// that arrive at Inside come from the function's execution environment, so
// they carry lambda:SourceFunctionArn, as Lambda adds it to every AWS call
// made from there; calls at Outside are the same credentials used anywhere
// else, which Lambda does not mark (Lambda Developer Guide, "Using source
// function ARN to control function access behavior",
// https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html).
type Proxy struct {
	// Inside and Outside are the two listeners' base URLs.
	Inside, Outside string

	target      *url.URL
	admin       *iam.Client
	eval        *Evaluator
	account     string
	functionARN string
	callers     map[string]Caller
	servers     []*httptest.Server

	mu        sync.Mutex
	decisions []Decision
	tasks     map[string]string // deletion task id → role ARN
}

// NewProxy starts a proxy to the IAM endpoint motoURL. admin reads roles and
// instance profiles from moto directly (to learn a role's path and tags);
// callers maps access key ids to callers; functionARN is the function whose
// execution environment Inside stands for.
func NewProxy(motoURL string, admin *iam.Client, eval *Evaluator, account, functionARN string, callers map[string]Caller) (*Proxy, error) {
	target, err := url.Parse(motoURL)
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, admin: admin, eval: eval, account: account, functionARN: functionARN,
		callers: callers, tasks: map[string]string{}}
	in := httptest.NewServer(p.handler(true))
	out := httptest.NewServer(p.handler(false))
	p.servers = []*httptest.Server{in, out}
	p.Inside, p.Outside = in.URL, out.URL
	return p, nil
}

// Close stops both listeners.
func (p *Proxy) Close() {
	for _, s := range p.servers {
		s.Close()
	}
}

// Decisions returns every check made so far.
func (p *Proxy) Decisions() []Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Decision(nil), p.decisions...)
}

func (p *Proxy) handler(inside bool) http.Handler {
	forward := httputil.NewSingleHostReverseProxy(p.target)
	forward.ModifyResponse = p.rememberDeletionTask
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, err := iamwire.ReadForm(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		key := iamwire.AccessKeyID(r.Header)
		caller, known := p.callers[key]
		if !known {
			deny(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		}
		checks, err := p.checks(r.Context(), form, caller.Principal, inside)
		if err != nil {
			deny(w, http.StatusForbidden, "AccessDenied", "iamauthz cannot judge this request (fails closed): "+err.Error())
			return
		}
		for _, c := range checks {
			result, err := p.eval.Evaluate(c, caller.Policies)
			if err != nil {
				deny(w, http.StatusForbidden, "AccessDenied", "iamauthz: "+err.Error())
				return
			}
			p.mu.Lock()
			p.decisions = append(p.decisions, Decision{Check: c, Request: form.Get("Action"), Inside: inside, Result: result})
			p.mu.Unlock()
			if result != Allowed {
				deny(w, http.StatusForbidden, "AccessDenied", denial(c, result))
				return
			}
		}
		r.Header.Del(taskHeader)
		if form.Get("Action") == "DeleteServiceLinkedRole" {
			r.Header.Set(taskHeader, checks[0].Resource) // see rememberDeletionTask
		}
		r.Host = p.target.Host
		forward.ServeHTTP(w, r)
	})
}

// denial is IAM's AccessDenied message for c, judged result.
func denial(c Check, result string) string {
	why := "because no identity-based policy allows the " + c.Action + " action"
	if result == ExplicitlyDenied {
		why = "with an explicit deny in an identity-based policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", c.Principal, c.Action, c.Resource, why)
}

func deny(w http.ResponseWriter, status int, code, msg string) {
	iamwire.WriteError(w, status, code, msg, "iamauthz")
}

// taskHeader carries a DeleteServiceLinkedRole's role ARN to its answer.
const taskHeader = "X-Iamauthz-Role"

var deletionTaskID = regexp.MustCompile(`<DeletionTaskId>([^<]+)</DeletionTaskId>`)

// rememberDeletionTask notes which role a deletion task deletes: IAM's task
// ids name the role (task/aws-service-role/SERVICE/ROLE/ID), moto's do not.
func (p *Proxy) rememberDeletionTask(resp *http.Response) error {
	if resp.Request == nil || resp.Request.Header.Get(taskHeader) == "" {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if m := deletionTaskID.FindSubmatch(body); m != nil {
		p.mu.Lock()
		p.tasks[string(m[1])] = resp.Request.Header.Get(taskHeader)
		p.mu.Unlock()
	}
	return nil
}

// checks derives what IAM authorizes for one request.
func (p *Proxy) checks(ctx context.Context, form url.Values, principal string, inside bool) ([]Check, error) {
	action := form.Get("Action")
	if action == "" {
		return nil, fmt.Errorf("no Action")
	}
	c := Check{Principal: principal, Action: "iam:" + action, Account: p.account, Context: map[string]any{}}
	if inside {
		c.Context["lambda:SourceFunctionArn"] = p.functionARN
	}
	requestTags := func() {
		var keys []string
		for i := 1; ; i++ {
			k := form.Get(fmt.Sprintf("Tags.member.%d.Key", i))
			if k == "" {
				break
			}
			keys = append(keys, k)
			c.Context["aws:RequestTag/"+k] = form.Get(fmt.Sprintf("Tags.member.%d.Value", i))
		}
		if keys != nil {
			c.Context["aws:TagKeys"] = keys
		}
	}
	switch action {
	case "ListRoles":
		c.Resource = "*"
	case "CreateRole":
		path := form.Get("Path")
		if path == "" {
			path = "/"
		}
		c.Resource = p.roleARN(path, form.Get("RoleName"))
		requestTags()
		if b := form.Get("PermissionsBoundary"); b != "" {
			c.Context["iam:PermissionsBoundary"] = b
		}
		if c.Context["aws:TagKeys"] == nil {
			return []Check{c}, nil
		}
		// A request that creates a resource with tags carries them as
		// aws:ResourceTag too (IAM User Guide, "AWS global condition context
		// keys", aws:ResourceTag, "Availability",
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
		// and creating a role with tags is also authorized as iam:TagRole
		// (observed, not stated by AWS in so many words: CloudFormation reports
		// "Did not have IAM permissions to process tags on AWS::IAM::Role
		// resource" to a caller without iam:TagRole; IAM User Guide, "Tag IAM
		// roles", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_roles.html,
		// names iam:TagRole as the permission that tags a role).
		for k, v := range c.Context {
			if t, ok := strings.CutPrefix(k, "aws:RequestTag/"); ok {
				c.Context["aws:ResourceTag/"+t] = v
			}
		}
		tag := c
		tag.Action = "iam:TagRole"
		return []Check{c, tag}, nil
	case "CreateServiceLinkedRole":
		service := form.Get("AWSServiceName")
		c.Resource = p.roleARN("/aws-service-role/"+service+"/", serviceLinkedRoleName(service))
		c.Context["iam:AWSServiceName"] = service
	case "GetServiceLinkedRoleDeletionStatus":
		c.Resource = p.taskRole(form.Get("DeletionTaskId"))
	case "RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile":
		// Authorized on the instance profile alone (Service Authorization
		// Reference, "Actions, resources, and condition keys for AWS Identity
		// and Access Management (IAM)",
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
		c.Resource = p.instanceProfileARN(ctx, form.Get("InstanceProfileName"))
	default:
		name := form.Get("RoleName")
		if name == "" {
			return nil, fmt.Errorf("%s: no role in the request, and no rule for it", action)
		}
		arn, tags, err := p.role(ctx, name)
		if err != nil {
			return nil, err
		}
		c.Resource = arn
		for k, v := range tags {
			c.Context["iam:ResourceTag/"+k] = v
			c.Context["aws:ResourceTag/"+k] = v
		}
		switch action {
		case "TagRole":
			requestTags()
		case "UntagRole":
			var keys []string
			for i := 1; form.Has(fmt.Sprintf("TagKeys.member.%d", i)); i++ {
				keys = append(keys, form.Get(fmt.Sprintf("TagKeys.member.%d", i)))
			}
			c.Context["aws:TagKeys"] = keys
		case "PutRolePermissionsBoundary":
			c.Context["iam:PermissionsBoundary"] = form.Get("PermissionsBoundary")
		case "AttachRolePolicy", "DetachRolePolicy":
			c.Context["iam:PolicyARN"] = form.Get("PolicyArn")
		}
	}
	return []Check{c}, nil
}

func (p *Proxy) roleARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role%s%s", p.account, path, iamwire.RoleName(name))
}

// serviceLinkedRoleName is the name IAM gives a service's service-linked role.
// Q Business's is AWSServiceRoleForQBusiness (Amazon Q Business User Guide,
// "Using service-linked roles for Amazon Q Business",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/using-service-linked-roles.html); for other services the
// name is a guess, which only matters to a policy that names them.
func serviceLinkedRoleName(service string) string {
	if service == schema.ServicePrincipal {
		return schema.ServiceLinkedRoleName
	}
	first, _, _ := strings.Cut(service, ".")
	return "AWSServiceRoleFor" + strings.ToUpper(first[:min(1, len(first))]) + first[min(1, len(first)):]
}

// role returns a role's ARN and tags as IAM knows them; a role that does not
// exist has no tags (and IAM judges the request on its would-be ARN).
func (p *Proxy) role(ctx context.Context, name string) (string, map[string]string, error) {
	out, err := p.admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity" {
			return p.roleARN("/", name), nil, nil
		}
		return "", nil, fmt.Errorf("reading role %s: %w", name, err)
	}
	arn := aws.ToString(out.Role.Arn)
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		arn = arn[:i+1] + iamwire.RoleName(arn[i+1:])
	}
	tags := map[string]string{}
	for _, t := range out.Role.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return arn, tags, nil
}

func (p *Proxy) instanceProfileARN(ctx context.Context, name string) string {
	out, err := p.admin.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		return fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", p.account, name)
	}
	return aws.ToString(out.InstanceProfile.Arn)
}

// taskRole is the ARN of the role a deletion task deletes.
func (p *Proxy) taskRole(id string) string {
	if rest, ok := strings.CutPrefix(id, "task/"); ok {
		if i := strings.LastIndex(rest, "/"); i > 0 {
			j := strings.LastIndex(rest[:i], "/")
			return p.roleARN("/"+rest[:j+1], rest[j+1:i])
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if arn, ok := p.tasks[id]; ok {
		return arn
	}
	return fmt.Sprintf("arn:aws:iam::%s:role/unknown-deletion-task-%s", p.account, id)
}

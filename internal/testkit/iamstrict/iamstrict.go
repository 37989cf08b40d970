// Package iamstrict is a strict IAM for the tests: an HTTP layer in front of
// moto's server that reproduces the documented IAM behaviours moto lacks, so
// that code written against moto meets them before it meets AWS. It sits
// behind the authorizing proxy (internal/testkit/iamauthz) and in front of moto;
// faults (internal/testkit/iamfault) stay on the client's side.
//
// Behaviours, each with its source:
//   - Tag keys are case-insensitive, case preserved: TagRole with another
//     spelling replaces the tag, UntagRole with another spelling removes it,
//     and one request may not name a key twice (IAM User Guide, "Tagging IAM
//     resources", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html;
//     IAM API Reference, "TagRole": a tag with the same key is overwritten,
//     https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html).
//   - Neither a tag key nor a tag value may begin with aws: ("Tagging IAM
//     resources", the same page): InvalidInput.
//   - Q Business's service-linked role is AWSServiceRoleForQBusiness (Amazon
//     Q Business User Guide, "Using service-linked roles for Amazon Q
//     Business",
//     https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/using-service-linked-roles.html; moto says
//     AWSServiceRoleForqbusiness), and a second CreateServiceLinkedRole fails
//     with InvalidInput "… has been taken in this account" (observed by other
//     projects; the API reference does not spell the text).
//   - Role names are unique in the account regardless of letter case:
//     CreateRole of QBizRole while qbizrole exists fails with
//     EntityAlreadyExists (HTTP 409) and never reaches moto, which compares
//     names exactly (IAM API Reference, "CreateRole", RoleName: "Names are not
//     distinguished by case. For example, you cannot create resources named
//     both "MyResource" and "myresource"."
//     https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
//   - Eventual consistency after CreateRole: for a while, IAM may answer
//     NoSuchEntity for the new role, and deny writes authorized through its
//     tags (IAM User Guide, troubleshooting, "Changes that I make are not
//     always immediately visible": changes "including tags used for ABAC",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
//   - GetRole right after CreateRole has been seen to answer the role's unique
//     id where the ARN belongs (observed; Terraform's AWS provider waits it out).
//   - While the service uses its service-linked role, the deletion task fails
//     with the regions and resources using it; AWS's advice is to wait and try
//     again (Q Business User Guide, "Using service-linked roles for Amazon Q
//     Business", the page above; IAM API Reference,
//     "GetServiceLinkedRoleDeletionStatus",
//     https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLinkedRoleDeletionStatus.html).
//
// The quirks of time (the last three) apply only to the callers named in
// Options.Subjects — the function — so that tests' own reads see IAM's state;
// the others apply to every caller.
//
// Not reproduced, because AWS documents nothing: how IAM answers a request
// naming an existing role by RoleName in another letter case than the stored
// one (GetRole QBizRole when the role is qbizrole, and likewise TagRole,
// DeleteRole, PutRolePolicy, …). The layer passes such requests on and keeps
// moto's answer, NoSuchEntity, so code under test must not rely on finding a
// role under a spelling other than IAM's own: where letter case matters, the
// code compares names case-insensitively itself. The one exception is the Q
// Business service-linked role, whose name the layer maps from any spelling
// to moto's, since moto spells it differently.
package iamstrict

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/testkit/iamwire"
)

// Options sets the quirks of time.
type Options struct {
	// Subjects are the access key ids the quirks of time apply to.
	Subjects []string
	// NotVisible is how many requests naming a role, after the CreateRole that
	// made it, are answered as if IAM had not seen it yet: NoSuchEntity for
	// reads, AccessDenied for writes.
	NotVisible int
	// ARNLag is how many GetRole answers after that give the unique id as Arn.
	ARNLag int
	// SLRInUse is how many deletion tasks of each service-linked role made
	// through the layer fail because the service still uses it, before one
	// goes through.
	SLRInUse int
}

// Layer is a running strict IAM.
type Layer struct {
	// URL is the layer's base URL.
	URL string

	opts     Options
	subjects map[string]bool
	admin    *iam.Client
	srv      *httptest.Server

	mu        sync.Mutex
	fresh     map[string]int // role → requests still answered as not visible
	arnLag    map[string]int // role → GetRole answers still without the ARN
	inUseLeft int
	tasks     map[string]bool // deletion tasks that fail
	applied   map[string]int  // behaviour → times it changed an answer

	createMu sync.Mutex // serializes CreateRole, so that two spellings cannot both pass roleNameTaken
}

// Quirk names, as Applied counts them.
const (
	TagCase       = "tag key in another case"
	ReservedTag   = "aws: tag refused"
	DuplicateTag  = "duplicate tag key refused"
	SLRName       = "service-linked role named as IAM names it"
	SLRTaken      = "service-linked role has been taken"
	NotVisible    = "new role not visible yet"
	ARNLag        = "unique id answered as Arn"
	SLRInUse      = "service-linked role deletion failed: in use"
	RoleNameCase  = "role name taken in another letter case"
	motoSLRName   = "AWSServiceRoleForqbusiness"
	iamSLRName    = schema.ServiceLinkedRoleName
	qbusiness     = schema.ServicePrincipal
	slrPathPrefix = schema.ServiceLinkedRolePath
)

// Start runs a layer in front of moto at motoURL; admin calls moto directly.
func Start(motoURL string, admin *iam.Client, opts Options) (*Layer, error) {
	target, err := url.Parse(motoURL)
	if err != nil {
		return nil, err
	}
	l := &Layer{opts: opts, subjects: map[string]bool{}, admin: admin, fresh: map[string]int{}, arnLag: map[string]int{},
		tasks: map[string]bool{}, applied: map[string]int{}}
	for _, s := range opts.Subjects {
		l.subjects[s] = true
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	forward.ModifyResponse = l.rewriteAnswer
	l.srv = httptest.NewServer(l.handler(forward, target))
	l.URL = l.srv.URL
	return l, nil
}

// Close stops the layer.
func (l *Layer) Close() { l.srv.Close() }

// Applied is how often each behaviour changed an answer.
func (l *Layer) Applied() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.applied {
		out[k] = v
	}
	return out
}

func (l *Layer) count(quirk string) {
	l.mu.Lock()
	l.applied[quirk]++
	l.mu.Unlock()
}

func (l *Layer) handler(forward *httputil.ReverseProxy, target *url.URL) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, err := iamwire.ReadForm(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		key := iamwire.AccessKeyID(r.Header)
		subject := l.subjects[key]
		if form.Get("Action") == "CreateRole" {
			l.createMu.Lock()
			defer l.createMu.Unlock()
		}
		if answered := l.before(r.Context(), w, form, subject); answered {
			return
		}
		iamwire.SetForm(r, form)
		r.Host = target.Host
		rec := &recorder{ResponseWriter: w}
		forward.ServeHTTP(rec, r)
		if rec.status != http.StatusOK {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		switch form.Get("Action") {
		case "CreateRole":
			if subject {
				l.fresh[form.Get("RoleName")] = l.opts.NotVisible
				l.arnLag[form.Get("RoleName")] = l.opts.ARNLag
			}
		case "CreateServiceLinkedRole":
			l.inUseLeft = l.opts.SLRInUse
		}
	})
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// before rewrites the request in form for moto, or answers it itself.
func (l *Layer) before(ctx context.Context, w http.ResponseWriter, form url.Values, subject bool) bool {
	action := form.Get("Action")
	// A RoleName is passed on as spelled: AWS documents nothing about naming
	// an existing role in another letter case, so moto's answer (NoSuchEntity)
	// stands, and code under test must compare names case-insensitively itself
	// where that matters. Only the service-linked role's name is mapped from
	// any spelling, to moto's spelling of it.
	if strings.EqualFold(form.Get("RoleName"), iamSLRName) {
		form.Set("RoleName", motoSLRName)
	}
	switch action {
	case "CreateRole", "TagRole":
		if msg, quirk := badTags(form); msg != "" {
			l.count(quirk)
			answer(w, http.StatusBadRequest, "InvalidInput", msg)
			return true
		}
	}
	if subject && l.notVisible(w, action, form.Get("RoleName")) {
		return true
	}
	switch action {
	case "CreateRole":
		// IAM API Reference, "CreateRole", RoleName: "IAM user, group, role,
		// and policy names must be unique within the account. Names are not
		// distinguished by case. For example, you cannot create resources
		// named both "MyResource" and "myresource"."
		// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
		if name := form.Get("RoleName"); l.roleNameTaken(ctx, name) {
			l.count(RoleNameCase)
			answer(w, http.StatusConflict, "EntityAlreadyExists", "Role with name "+name+" already exists.")
			return true
		}
	case "TagRole", "UntagRole":
		l.matchTagCase(ctx, form)
	case "CreateServiceLinkedRole":
		if form.Get("AWSServiceName") == qbusiness && l.slrExists(ctx) {
			l.count(SLRTaken)
			answer(w, http.StatusBadRequest, "InvalidInput", "Service role name "+iamSLRName+" has been taken in this account, please try a different suffix.")
			return true
		}
	case "DeleteServiceLinkedRole":
		l.mu.Lock()
		inUse := subject && form.Get("RoleName") == motoSLRName && l.inUseLeft > 0
		var task string
		if inUse {
			l.inUseLeft--
			task = fmt.Sprintf("task/aws-service-role/%s/%s/in-use-%d", qbusiness, iamSLRName, l.inUseLeft)
			l.tasks[task] = true
		}
		l.mu.Unlock()
		if inUse {
			writeXML(w, "DeleteServiceLinkedRole", "<DeletionTaskId>"+task+"</DeletionTaskId>")
			return true
		}
	case "GetServiceLinkedRoleDeletionStatus":
		l.mu.Lock()
		failing := l.tasks[form.Get("DeletionTaskId")]
		l.mu.Unlock()
		if failing {
			l.count(SLRInUse)
			writeXML(w, "GetServiceLinkedRoleDeletionStatus", "<Status>FAILED</Status><Reason><Reason>The service-linked role is in use.</Reason>"+
				"<RoleUsageList><member><Region>us-east-1</Region><Resources><member>arn:aws:qbusiness:us-east-1:123456789012:application/a1b2c3d4-e5f6-7890-abcd-ef1234567890</member></Resources></member></RoleUsageList></Reason>")
			return true
		}
	}
	return false
}

// notVisible answers a request naming a role IAM has not shown everywhere yet.
func (l *Layer) notVisible(w http.ResponseWriter, action, role string) bool {
	if role == "" || action == "CreateRole" {
		return false
	}
	l.mu.Lock()
	left := l.fresh[role]
	if left > 0 {
		l.fresh[role] = left - 1
	}
	l.mu.Unlock()
	if left == 0 {
		return false
	}
	l.count(NotVisible)
	if strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List") {
		answer(w, http.StatusNotFound, "NoSuchEntity", "The role with name "+role+" cannot be found.")
	} else {
		answer(w, http.StatusForbidden, "AccessDenied", "User is not authorized to perform: iam:"+action+" on resource: role "+role+
			" because no identity-based policy allows the iam:"+action+" action")
	}
	return true
}

// badTags refuses what IAM refuses in a request's tags.
func badTags(form url.Values) (string, string) {
	seen := map[string]bool{}
	for i := 1; form.Has(fmt.Sprintf("Tags.member.%d.Key", i)); i++ {
		k, v := form.Get(fmt.Sprintf("Tags.member.%d.Key", i)), form.Get(fmt.Sprintf("Tags.member.%d.Value", i))
		if strings.HasPrefix(strings.ToLower(k), "aws:") || strings.HasPrefix(strings.ToLower(v), "aws:") {
			return "Tag keys and values cannot begin with aws: (" + k + "=" + v + ")", ReservedTag
		}
		if seen[strings.ToLower(k)] {
			return "Duplicate tag keys found. Please note that Tag keys are case insensitive.", DuplicateTag
		}
		seen[strings.ToLower(k)] = true
	}
	return "", ""
}

// matchTagCase makes moto treat tag keys as IAM does: a TagRole of a key the
// role has in another spelling replaces that tag; an UntagRole removes it.
func (l *Layer) matchTagCase(ctx context.Context, form url.Values) {
	out, err := l.admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(form.Get("RoleName"))})
	if err != nil {
		return // moto answers for itself
	}
	spelled := map[string]string{}
	for _, t := range out.Role.Tags {
		spelled[strings.ToLower(aws.ToString(t.Key))] = aws.ToString(t.Key)
	}
	if form.Get("Action") == "UntagRole" {
		for i := 1; form.Has(fmt.Sprintf("TagKeys.member.%d", i)); i++ {
			k := form.Get(fmt.Sprintf("TagKeys.member.%d", i))
			if have, ok := spelled[strings.ToLower(k)]; ok && have != k {
				l.count(TagCase)
				form.Set(fmt.Sprintf("TagKeys.member.%d", i), have)
			}
		}
		return
	}
	var replaced []string
	for i := 1; form.Has(fmt.Sprintf("Tags.member.%d.Key", i)); i++ {
		k := form.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		if have, ok := spelled[strings.ToLower(k)]; ok && have != k {
			replaced = append(replaced, have)
		}
	}
	if len(replaced) > 0 {
		l.count(TagCase)
		_, _ = l.admin.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(form.Get("RoleName")), TagKeys: replaced})
	}
}

// roleNameTaken tells whether moto holds a role whose name differs from name
// in letter case only. A role of exactly that name is left to moto, which
// refuses it itself; if moto cannot list its roles, moto answers the
// CreateRole too. One ListRoles (100 roles a page) per CreateRole: a GetRole
// of the exact name first would only add a call to the usual case, a new name.
func (l *Layer) roleNameTaken(ctx context.Context, name string) bool {
	pages := iam.NewListRolesPaginator(l.admin, &iam.ListRolesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return false
		}
		for _, r := range page.Roles {
			if have := aws.ToString(r.RoleName); have != name && strings.EqualFold(have, name) {
				return true
			}
		}
	}
	return false
}

func (l *Layer) slrExists(ctx context.Context) bool {
	out, err := l.admin.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String(slrPathPrefix)})
	return err == nil && len(out.Roles) > 0
}

var (
	arnElement      = regexp.MustCompile(`<Arn>[^<]*</Arn>`)
	roleIDElement   = regexp.MustCompile(`<RoleId>([^<]*)</RoleId>`)
	roleNameElement = regexp.MustCompile(`<RoleName>([^<]*)</RoleName>`)
)

// rewriteAnswer names the service-linked role as IAM does, and answers a
// lagging GetRole with the unique id as Arn.
func (l *Layer) rewriteAnswer(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if bytes.Contains(body, []byte(motoSLRName)) {
		l.count(SLRName)
		body = bytes.ReplaceAll(body, []byte(motoSLRName), []byte(iamSLRName))
	}
	if req := resp.Request; req != nil && resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte("<GetRoleResponse")) {
		if l.subjects[iamwire.AccessKeyID(req.Header)] {
			name := ""
			if n := roleNameElement.FindSubmatch(body); n != nil {
				name = string(n[1])
			}
			l.mu.Lock()
			lag := l.arnLag[name]
			if lag > 0 {
				l.arnLag[name] = lag - 1
			}
			l.mu.Unlock()
			if id := roleIDElement.FindSubmatch(body); lag > 0 && id != nil {
				l.count(ARNLag)
				body = arnElement.ReplaceAll(body, []byte("<Arn>"+string(id[1])+"</Arn>"))
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

func answer(w http.ResponseWriter, status int, code, msg string) {
	iamwire.WriteError(w, status, code, msg, "iamstrict")
}

func writeXML(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult>%s</%sResult>`+
		`<ResponseMetadata><RequestId>iamstrict</RequestId></ResponseMetadata></%sResponse>`, action, action, result, action, action)
}

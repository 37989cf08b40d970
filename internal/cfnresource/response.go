package cfnresource

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
)

// maxResponseBytes is CloudFormation's limit on a response body.
const maxResponseBytes = 4096

// answerID is the PhysicalResourceId to answer ev with when the work gave
// none (it failed before it named anything): the resource's current id, or for
// a Create the marker FailedCreateID makes, so that the rollback's Delete
// knows there is nothing to remove. A Runner without FailedCreateID (a wiring
// mistake; it carries out nothing) answers a Create with unconfiguredPrefix
// and the RequestId: CloudFormation takes no response without a non-empty
// PhysicalResourceId (CloudFormation User Guide, "Custom resource response
// objects",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html),
// and this one holds ':', so no IAM name equals it.
func (r *Runner) answerID(ev cfn.Event, id string) string {
	switch {
	case id != "":
		return id
	case ev.PhysicalResourceID != "":
		return ev.PhysicalResourceID
	case r.FailedCreateID == nil:
		return unconfiguredPrefix + ev.RequestID
	default:
		return r.FailedCreateID(ev.RequestID)
	}
}

// unconfiguredPrefix starts the id a Runner without FailedCreateID answers
// a Create with.
const unconfiguredPrefix = "cfnresource:unconfigured-runner:"

// maxReason leaves room in maxResponseBytes for the ids around the reason.
const maxReason = 2048

// fit makes the response's JSON at most maxResponseBytes: first Data goes,
// then Reason is cut on a rune boundary.
func fit(r *cfn.Response) {
	size := func() int {
		b, _ := json.Marshal(r)
		return len(b)
	}
	if size() <= maxResponseBytes {
		return
	}
	r.Data = nil
	for over := size() - maxResponseBytes; over > 0; over = size() - maxResponseBytes {
		if r.Reason == "" {
			return
		}
		r.Reason = cut(r.Reason, max(len(r.Reason)-over-len("…"), 0))
	}
}

// cleanReason makes a message fit for CloudFormation's console: control
// characters become spaces, invalid UTF-8 is replaced, and it is cut at
// maxBytes on a rune boundary.
func cleanReason(s string, maxBytes int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return cut(strings.TrimSpace(s), maxBytes)
}

// cut shortens s to at most n bytes plus an ellipsis, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

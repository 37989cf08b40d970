// Package iamwire reads and writes IAM's query-protocol HTTP messages for
// the test doubles that stand between the SDK and moto (the fault injector,
// the authorizing proxy, the strict IAM layer, the call recorder).
package iamwire

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/qbrole/qbrole/internal/schema"
)

// ReadForm reads a request's parameters (body and query) and puts the body
// back, so that the request can still be sent on.
func ReadForm(r *http.Request) (url.Values, error) {
	form := url.Values{}
	if r.Body != nil {
		raw, err := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		if form, err = url.ParseQuery(string(raw)); err != nil {
			return nil, err
		}
	}
	if r.URL != nil && r.URL.RawQuery != "" {
		q, _ := url.ParseQuery(r.URL.RawQuery)
		for k, v := range q {
			form[k] = v
		}
	}
	return form, nil
}

// SetForm makes form the request's body.
func SetForm(r *http.Request, form url.Values) {
	body := form.Encode()
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Del("Content-Length")
}

var credential = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// AccessKeyID is the access key id a SigV4-signed request names.
func AccessKeyID(h http.Header) string {
	if m := credential.FindStringSubmatch(h.Get("Authorization")); m != nil {
		return m[1]
	}
	return ""
}

// RoleName is a role's name as IAM spells it: moto's spelling of the Q
// Business service-linked role (AWSServiceRoleForqbusiness) becomes IAM's
// (schema.ServiceLinkedRoleName); any other name is unchanged.
func RoleName(name string) string {
	if strings.EqualFold(name, schema.ServiceLinkedRoleName) {
		return schema.ServiceLinkedRoleName
	}
	return name
}

// ErrorBody is the body of IAM's error answer.
func ErrorBody(code, msg, requestID string) string {
	var esc strings.Builder
	_ = xml.EscapeText(&esc, []byte(msg))
	return fmt.Sprintf(`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>`+
		`<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, code, esc.String(), requestID)
}

// WriteError answers w with IAM's error.
func WriteError(w http.ResponseWriter, status int, code, msg, requestID string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, ErrorBody(code, msg, requestID))
}

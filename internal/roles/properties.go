package roles

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qbrole/qbrole/internal/schema"
)

// PropertyError is a property that fails validation. Its message names the
// property, so the FAILED reason tells the user what to fix.
type PropertyError struct {
	Property string
	Message  string
}

func (e *PropertyError) Error() string { return e.Property + ": " + e.Message }

var (
	roleNamePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNamePattern  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	pathPattern        = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	descriptionPattern = regexp.MustCompile(`^[\t\n\r\x20-\x7E\x{A1}-\x{FF}]*$`)
	accountPattern     = regexp.MustCompile(`^\d{12}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	// resourceIDPattern is a Q Business application or index id, and an
	// Amazon Kendra index id as a retriever takes it (Amazon Q Business API
	// Reference, "CreateIndex", applicationId,
	// https://docs.aws.amazon.com/amazonq/latest/api-reference/API_CreateIndex.html;
	// "Index", indexId, https://docs.aws.amazon.com/amazonq/latest/api-reference/API_Index.html;
	// "KendraIndexConfiguration", indexId,
	// https://docs.aws.amazon.com/amazonq/latest/api-reference/API_KendraIndexConfiguration.html:
	// each "Fixed length of 36", pattern [a-zA-Z0-9][a-zA-Z0-9-]{35}).
	resourceIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]{35}$`)
	subscriptionPat   = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
	// secretARNPattern is a Secrets Manager secret's complete ARN: partition,
	// region, account and the secret's id, its name (ASCII letters, digits and
	// /_+=.@-, at most 512) and the hyphen and six random characters Secrets
	// Manager appends (AWS Secrets Manager API Reference, "CreateSecret", Name
	// and ARN, https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
	// A partial ARN, without those six, names no secret in a policy's
	// Resource (AWS Secrets Manager User Guide, "Limiting access to specific
	// secrets", https://docs.aws.amazon.com/secretsmanager/latest/userguide/permissions_grant-limited-resources.html).
	secretARNPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6})$`)
	// partialSecretARNPattern is such an ARN without the six characters.
	partialSecretARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	boundaryPattern         = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\x21-\x7E]+$`)
	tagKeyPattern           = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValuePattern         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// Limits IAM puts on a role's settings (IAM API Reference, "CreateRole",
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, and
// "UpdateRole", https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRole.html;
// Amazon Q Business API Reference, "Subscription", for the subscription id,
// https://docs.aws.amazon.com/amazonq/latest/api-reference/API_Subscription.html).
const (
	maxDescription     = 1000
	maxPath            = 512
	maxBoundaryARN     = 2048
	maxSubscriptionID  = 1034
	minSessionDuration = 3600
	maxSessionDuration = 43200
	maxTagValue        = 256
)

// unknownProperty explains an unknown property name: the known one it differs
// from only in case, or the list of known ones.
func unknownProperty(name string) string {
	known := knownProperties()
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return "unknown property; did you mean " + k + "?"
		}
	}
	return "unknown property (known: " + strings.Join(known, ", ") + ")"
}

// propReader reads typed values out of CloudFormation's property map and
// collects one error per bad property.
type propReader struct {
	props map[string]any
	errs  []error
}

func (p *propReader) fail(name, msg string) {
	p.errs = append(p.errs, &PropertyError{Property: name, Message: msg})
}

func (p *propReader) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &InvalidPropertiesError{Errors: p.errs}
}

// InvalidPropertiesError lists every property that failed validation.
type InvalidPropertiesError struct {
	Errors []error
}

func (e *InvalidPropertiesError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		msgs[i] = err.Error()
	}
	return "invalid properties: " + strings.Join(msgs, "; ")
}

// Unwrap gives the PropertyErrors, for errors.As.
func (e *InvalidPropertiesError) Unwrap() []error { return e.Errors }

func (p *propReader) str(name, def string) string {
	v, ok := p.props[name]
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		p.fail(name, fmt.Sprintf("must be a string, not %s", jsonType(v)))
		return def
	}
	return s
}

func (p *propReader) integer(name string, def, lo, hi int) int {
	v, ok := p.props[name]
	if !ok || v == nil {
		return def
	}
	var n int
	switch t := v.(type) {
	case float64:
		if t != float64(int(t)) {
			p.fail(name, fmt.Sprintf("must be a whole number, not %v", t))
			return def
		}
		n = int(t)
	case string:
		i, err := strconv.Atoi(t)
		if err != nil {
			p.fail(name, fmt.Sprintf("must be a whole number, not %q", t))
			return def
		}
		n = i
	default:
		p.fail(name, fmt.Sprintf("must be a number, not %s", jsonType(v)))
		return def
	}
	if n < lo || n > hi {
		p.fail(name, fmt.Sprintf("must be between %d and %d, not %d", lo, hi, n))
		return def
	}
	return n
}

func (p *propReader) tags(name string) []Tag {
	v, ok := p.props[name]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.fail(name, fmt.Sprintf("must be a list of {Key, Value}, not %s", jsonType(v)))
		return nil
	}
	if len(list) > maxTagsPerRole-ownershipTagLen {
		p.fail(name, fmt.Sprintf("at most %d tags (IAM allows %d; qbrole adds %d ownership tags), not %d",
			maxTagsPerRole-ownershipTagLen, maxTagsPerRole, ownershipTagLen, len(list)))
		return nil
	}
	seen := map[string]bool{}
	tags := make([]Tag, 0, len(list))
	for i, e := range list {
		if t, ok := p.tag(fmt.Sprintf("%s[%d]", name, i), e, seen); ok {
			tags = append(tags, t)
		}
	}
	slices.SortFunc(tags, byKey)
	return tags
}

// tag reads one entry of a Tags list, where names it; seen holds the keys
// before it, lower-cased. ok is false when the entry is no tag at all.
func (p *propReader) tag(where string, e any, seen map[string]bool) (Tag, bool) {
	m, ok := e.(map[string]any)
	if !ok {
		p.fail(where, fmt.Sprintf("must be an object with Key and Value, not %s", jsonType(e)))
		return Tag{}, false
	}
	for k := range m {
		if k != "Key" && k != "Value" {
			p.fail(where, fmt.Sprintf("unknown field %q (only Key and Value)", k))
		}
	}
	key, kok := m["Key"].(string)
	value, vok := m["Value"].(string)
	if _, present := m["Value"]; !present {
		value, vok = "", true
	}
	switch {
	case !kok:
		p.fail(where+".Key", "must be a string")
		return Tag{}, false
	case !vok:
		p.fail(where+".Value", "must be a string")
		return Tag{}, false
	case !tagKeyPattern.MatchString(key):
		p.fail(where+".Key", fmt.Sprintf("%q must be 1 to 128 letters, digits, spaces and _.:/=+-@", key))
	case strings.HasPrefix(strings.ToLower(key), "aws:"):
		p.fail(where+".Key", fmt.Sprintf("%q: the aws: prefix is reserved by AWS", key))
	case strings.HasPrefix(strings.ToLower(key), schema.TagPrefix):
		p.fail(where+".Key", fmt.Sprintf("%q: the %s prefix is reserved for ownership tags", key, schema.TagPrefix))
	case seen[strings.ToLower(key)]:
		p.fail(where+".Key", fmt.Sprintf("%q appears twice (IAM tag keys are case-insensitive)", key))
	}
	if utf8.RuneCountInString(value) > maxTagValue || !tagValuePattern.MatchString(value) {
		p.fail(where+".Value", fmt.Sprintf("must be at most %d letters, digits, spaces and _.:/=+-@", maxTagValue))
	} else if strings.HasPrefix(strings.ToLower(value), "aws:") {
		// IAM refuses tag keys and values that begin with aws: ("Tagging IAM resources").
		p.fail(where+".Value", fmt.Sprintf("%q: values beginning with aws: are reserved by AWS", value))
	}
	seen[strings.ToLower(key)] = true
	return Tag{Key: key, Value: value}, true
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}

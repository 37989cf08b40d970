package roles

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
)

// PolicyVersion is the only IAM policy language version the documents use.
const PolicyVersion = "2012-10-17"

// PolicyDocument is an IAM policy document built from Go values, so that no
// property value can change its structure.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument. Fields that IAM allows as a
// string or a list keep the form the reference page uses.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    any        `json:"Action"`
	Resource  any        `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Principal names the service a trust policy lets assume the role.
type Principal struct {
	Service string `json:"Service"`
}

// Condition maps a condition operator to its keys and values.
type Condition map[string]map[string]string

// Placeholders are the values that fill the reference pages' placeholders
// ({{region}}, {{account_id}}, {{source_account}}, {{application_id}},
// {{subscription_id}}, {{index_id}}, {{input_bucket_name}}, {{secret_id}},
// {{kendra_index_id}}), plus the partition of the ARNs (the pages write aws).
// A RoleType fills the ones its documents use.
type Placeholders struct {
	Partition      string
	Region         string
	AccountID      string
	SourceAccount  string
	ApplicationID  string
	SubscriptionID string
	// IndexID is a Q Business index id (DataSourceRole).
	IndexID string
	// BucketName is an S3 bucket name (DataSourceRole of an S3 source).
	BucketName string
	// SecretID is a Secrets Manager secret's id as its ARN ends: name and
	// the random suffix (DataSourceRole, PluginRole).
	SecretID string
	// KendraIndexID is an Amazon Kendra index id (RetrieverRole).
	KendraIndexID string
}

// JSON returns the document as compact JSON, the form sent to IAM.
func (d PolicyDocument) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		// Only strings, slices and maps of strings: marshalling cannot fail.
		panic(fmt.Sprintf("marshalling policy document: %v", err))
	}
	return string(b)
}

// SameDocument reports whether an IAM policy document as IAM returns it
// (URL-encoded JSON, in GetRole and GetRolePolicy) means the same as want.
// IAM may reorder keys, turn a one-element list into a string or the other way
// round; none of that counts as a difference.
func SameDocument(actual string, want PolicyDocument) bool {
	if decoded, err := url.QueryUnescape(actual); err == nil {
		actual = decoded
	}
	var a, w any
	if err := json.Unmarshal([]byte(actual), &a); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want.JSON()), &w); err != nil {
		return false
	}
	return reflect.DeepEqual(normalize(a), normalize(w))
}

// normalize puts a decoded JSON policy into a canonical form: lists of strings
// sorted, and one-element lists of strings collapsed to the string.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalize(e)
		}
		return out
	case []any:
		strs := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				out := make([]any, len(t))
				for i, e := range t {
					out[i] = normalize(e)
				}
				return out
			}
			strs = append(strs, s)
		}
		if len(strs) == 1 {
			return strs[0]
		}
		sort.Strings(strs)
		return strs
	default:
		return v
	}
}

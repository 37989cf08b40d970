package cfntemplate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/qbrole/qbrole/internal/schema"
)

// UnguardedWrites checks IAM policy statements (as they stand in a template,
// or resolved) and describes every Allow of an IAM write on all roles without
// a condition, on "*", or that lets the ownership tags be removed or moved.
// Writes pinned to the service-linked role or to instance profiles need no
// tag condition. An empty result means every write is guarded. Deny
// statements only take away; the policy evaluator judges them.
func UnguardedWrites(statements []any) []string {
	var bad []string
	for i, s := range statements {
		st, _ := s.(map[string]any)
		if st["Effect"] == "Deny" {
			continue
		}
		cond, hasCond := st["Condition"].(map[string]any)
		resources := strings.Join(Strings(st["Resource"]), " ")
		creates := mentions(cond, "aws:RequestTag/"+schema.TagStackID)
		for _, a := range Strings(st["Action"]) {
			name, ok := strings.CutPrefix(a, "iam:")
			if !ok || strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") {
				continue
			}
			where := fmt.Sprintf("statement %d (%v) %s", i, st["Sid"], a)
			switch {
			case strings.Contains(a, "*"):
				bad = append(bad, where+": wildcard action")
			case resources == "*" || strings.Contains(resources, `"*"`):
				bad = append(bad, where+": on *")
			case strings.Contains(resources, ":role/*") && !hasCond:
				bad = append(bad, where+": on every role without a condition")
			case strings.Contains(resources, ":role/*") && !mentions(cond, schema.TagStackID):
				bad = append(bad, where+": condition does not name the ownership tag")
			case name == "TagRole" && creates && !mentions(cond, "${aws:RequestTag/"+schema.TagStackID+"}"):
				bad = append(bad, where+": may move the ownership tags to another stack")
			case (name == "UntagRole" || name == "TagRole" && !creates) &&
				!mentions(Lookup(cond, "ForAllValues:StringNotEqualsIgnoreCase", "aws:TagKeys"), schema.TagLogicalID):
				bad = append(bad, where+": may remove or rewrite the ownership tags (in any letter case)")
			case name == "CreateServiceLinkedRole" && !mentions(cond, schema.ServicePrincipal):
				bad = append(bad, where+": not limited to Q Business")
			}
		}
	}
	return bad
}

func mentions(v any, s string) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), s)
}

// Strings lists the strings of a template value: a string, a list, or an
// intrinsic such as {"Fn::Sub": …}, rendered as its JSON.
func Strings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, Strings(e)...)
		}
		return out
	case nil:
		return nil
	default:
		b, _ := json.Marshal(t)
		return []string{string(b)}
	}
}

// Canonical puts a JSON policy value in a form where equal meaning is equal
// value: one-element lists become their element and lists are sorted, as IAM
// treats them.
func Canonical(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			out[k] = Canonical(e)
		}
		return out
	case []any:
		if len(t) == 1 {
			return Canonical(t[0])
		}
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Canonical(e)
		}
		sort.Slice(out, func(i, j int) bool {
			a, _ := json.Marshal(out[i])
			b, _ := json.Marshal(out[j])
			return string(a) < string(b)
		})
		return out
	}
	return v
}

// SamePolicy tells whether two policy values mean the same: equal after a JSON
// round trip (the same Go types on both sides) and Canonical.
func SamePolicy(a, b any) bool {
	return reflect.DeepEqual(Canonical(roundTrip(a)), Canonical(roundTrip(b)))
}

func roundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

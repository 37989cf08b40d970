// Package cfntemplate reads CloudFormation templates — YAML with the short
// intrinsic tags (!Sub, !Ref, !GetAtt, …) or JSON, such as CDK synthesizes —
// into plain Go values in CloudFormation's JSON form, for tests that check
// what a template grants.
package cfntemplate

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Template is a parsed template in JSON form.
type Template map[string]any

// Load reads a template file.
func Load(path string) (Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}

// MustLoad is Load for a test: it stops t when the template cannot be read.
func MustLoad(t testing.TB, path string) Template {
	t.Helper()
	tpl, err := Load(path)
	if err != nil {
		t.Fatalf("loading template %s: %v", path, err)
	}
	return tpl
}

// Parse reads a template from YAML or JSON (JSON is YAML).
func Parse(raw []byte) (Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("empty template")
	}
	v, err := convert(root.Content[0])
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template is not a mapping")
	}
	return m, nil
}

// convert turns a YAML node into JSON-form values: a tag !X becomes {"Fn::X": …}
// ({"Ref": …} for !Ref, and !GetAtt a.b becomes {"Fn::GetAtt": [a, b]}).
func convert(n *yaml.Node) (any, error) {
	// CloudFormation's tags have one '!'; YAML's own (!!str, !!map) have two.
	intrinsic := strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := convert(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		if intrinsic {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	case yaml.AliasNode:
		return convert(n.Alias)
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	if !intrinsic {
		return v, nil
	}
	switch tag := n.Tag; {
	case tag == "!Ref":
		return map[string]any{"Ref": v}, nil
	case tag == "!GetAtt":
		if s, ok := v.(string); ok {
			a, b, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{a, b}}, nil
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	case tag == "!Condition":
		return map[string]any{"Condition": v}, nil
	default:
		return map[string]any{"Fn::" + tag[1:]: v}, nil
	}
}

// Resources returns the logical ids of the resources of a type, sorted.
func (t Template) Resources(typ string) []string {
	res, _ := t["Resources"].(map[string]any)
	var ids []string
	for id, r := range res {
		if m, ok := r.(map[string]any); ok && m["Type"] == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Resource returns one resource's definition.
func (t Template) Resource(id string) map[string]any {
	res, _ := t["Resources"].(map[string]any)
	r, _ := res[id].(map[string]any)
	return r
}

// Props returns one resource's Properties.
func (t Template) Props(id string) map[string]any {
	p, _ := t.Resource(id)["Properties"].(map[string]any)
	return p
}

// Lookup follows a path of map keys and list indexes (as ints) into v.
func Lookup(v any, path ...any) any {
	if t, ok := v.(Template); ok {
		v = map[string]any(t)
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

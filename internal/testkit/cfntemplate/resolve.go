package cfntemplate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Env is what a deployment would know: pseudo parameters, parameter values,
// and the physical ids and attributes of resources.
type Env struct {
	// Pseudo holds AWS::Partition, AWS::AccountId, AWS::Region, AWS::StackName, ….
	Pseudo map[string]string
	// Params overrides parameter defaults.
	Params map[string]string
	// Ref answers Ref of a resource (its physical id).
	Ref func(logicalID string) (string, error)
	// GetAtt answers Fn::GetAtt.
	GetAtt func(logicalID, attribute string) (string, error)
}

// noValue is AWS::NoValue: the element that holds it disappears.
type noValue struct{}

// Resolve evaluates the intrinsic functions in v (Ref, Fn::Sub, Fn::GetAtt,
// Fn::If, Fn::Join, Fn::Select, Fn::Split), as CloudFormation would with env,
// and drops AWS::NoValue. An unknown intrinsic or variable is an error, as it
// is for CloudFormation.
func (t Template) Resolve(v any, env Env) (any, error) {
	r := resolver{t: t, env: env}
	out, err := r.value(v)
	if _, ok := out.(noValue); ok {
		return nil, err
	}
	return out, err
}

type resolver struct {
	t   Template
	env Env
}

func (r resolver) value(v any) (any, error) {
	switch t := v.(type) {
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			x, err := r.value(e)
			if err != nil {
				return nil, err
			}
			if _, drop := x.(noValue); !drop {
				out = append(out, x)
			}
		}
		return out, nil
	case map[string]any:
		if len(t) == 1 {
			for k, arg := range t {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := map[string]any{}
		for k, e := range t {
			x, err := r.value(e)
			if err != nil {
				return nil, err
			}
			if _, drop := x.(noValue); !drop {
				out[k] = x
			}
		}
		return out, nil
	}
	return v, nil
}

func (r resolver) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		if name == "AWS::NoValue" {
			return noValue{}, nil
		}
		return r.ref(name)
	case "Fn::GetAtt":
		var parts []string
		switch a := arg.(type) {
		case string:
			parts = strings.SplitN(a, ".", 2)
		case []any:
			for _, p := range a {
				s, _ := p.(string)
				parts = append(parts, s)
			}
		}
		if len(parts) != 2 || r.env.GetAtt == nil {
			return nil, fmt.Errorf("Fn::GetAtt %v: cannot resolve", arg)
		}
		return r.env.GetAtt(parts[0], parts[1])
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::If":
		a, _ := arg.([]any)
		if len(a) != 3 {
			return nil, fmt.Errorf("Fn::If %v: want [condition, then, else]", arg)
		}
		name, _ := a[0].(string)
		ok, err := r.condition(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return r.value(a[1])
		}
		return r.value(a[2])
	case "Fn::Join":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Join %v", arg)
		}
		list, err := r.value(a[1])
		if err != nil {
			return nil, err
		}
		var parts []string
		for _, e := range list.([]any) {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, fmt.Sprint(a[0])), nil
	case "Fn::Select":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Select %v", arg)
		}
		list, err := r.value(a[1])
		if err != nil {
			return nil, err
		}
		var i int
		_, _ = fmt.Sscan(fmt.Sprint(a[0]), &i)
		l, _ := list.([]any)
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("Fn::Select %d of %v", i, l)
		}
		return l[i], nil
	case "Fn::Split":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Split %v", arg)
		}
		s, err := r.value(a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(fmt.Sprint(s), fmt.Sprint(a[0])) {
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: not supported", fn)
}

func (r resolver) ref(name string) (string, error) {
	if v, ok := r.env.Pseudo[name]; ok {
		return v, nil
	}
	if strings.HasPrefix(name, "AWS::") {
		return "", fmt.Errorf("resolving Ref %s: no value", name)
	}
	if p, ok := Lookup(r.t, "Parameters", name).(map[string]any); ok {
		if v, ok := r.env.Params[name]; ok {
			return v, nil
		}
		if d, ok := p["Default"]; ok {
			return fmt.Sprint(d), nil
		}
		return "", fmt.Errorf("resolving Ref %s: parameter without a value", name)
	}
	if r.t.Resource(name) != nil && r.env.Ref != nil {
		return r.env.Ref(name)
	}
	return "", fmt.Errorf("resolving Ref %s: unknown", name)
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (r resolver) sub(arg any) (any, error) {
	var (
		text string
		vars = map[string]any{}
	)
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub %v", arg)
		}
		text, _ = a[0].(string)
		m, _ := a[1].(map[string]any)
		for k, v := range m {
			x, err := r.value(v)
			if err != nil {
				return nil, err
			}
			vars[k] = x
		}
	default:
		return nil, fmt.Errorf("Fn::Sub %v", arg)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") { // ${!Literal} is written as ${Literal}
			return "${" + name[1:] + "}"
		}
		if v, ok := vars[name]; ok {
			return fmt.Sprint(v)
		}
		var (
			v   string
			err error
		)
		if logical, attr, ok := strings.Cut(name, "."); ok && r.env.GetAtt != nil && r.t.Resource(logical) != nil {
			v, err = r.env.GetAtt(logical, attr)
		} else {
			v, err = r.ref(name)
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("Fn::Sub %q: %w", text, err)
		}
		return v
	})
	return out, firstErr
}

// condition evaluates one of the template's Conditions.
func (r resolver) condition(name string) (bool, error) {
	c := Lookup(r.t, "Conditions", name)
	if c == nil {
		return false, fmt.Errorf("condition %s: unknown", name)
	}
	return r.cond(c)
}

func (r resolver) cond(c any) (bool, error) {
	m, _ := c.(map[string]any)
	if len(m) != 1 {
		return false, fmt.Errorf("condition %v", c)
	}
	for fn, arg := range m {
		a, _ := arg.([]any)
		switch fn {
		case "Condition":
			return r.condition(fmt.Sprint(arg))
		case "Fn::Equals":
			if len(a) != 2 {
				return false, fmt.Errorf("Fn::Equals %v", arg)
			}
			x, err := r.value(a[0])
			if err != nil {
				return false, err
			}
			y, err := r.value(a[1])
			return fmt.Sprint(x) == fmt.Sprint(y), err
		case "Fn::Not", "Fn::And", "Fn::Or":
			var vals []bool
			for _, e := range a {
				v, err := r.cond(e)
				if err != nil {
					return false, err
				}
				vals = append(vals, v)
			}
			switch fn {
			case "Fn::Not":
				return len(vals) == 1 && !vals[0], nil
			case "Fn::And":
				return !slices.Contains(vals, false), nil
			default:
				return slices.Contains(vals, true), nil
			}
		}
		return false, fmt.Errorf("%s: not supported in conditions", fn)
	}
	return false, nil
}

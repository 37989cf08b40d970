package cfntemplate_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

func TestResolve(t *testing.T) {
	tpl, err := cfntemplate.Parse([]byte(`
Parameters:
  Mode: {Type: String, Default: "on"}
Conditions:
  On: !Equals [!Ref Mode, "on"]
  Off: !Not [!Condition On]
  Both: !And [!Condition On, !Equals [a, a]]
Resources:
  Fn: {Type: AWS::Lambda::Function}
  Role: {Type: AWS::IAM::Role}
`))
	if err != nil {
		t.Fatal(err)
	}
	d := cfntemplate.Deployment{Partition: "aws", AccountID: "123456789012", Region: "eu-west-1", StackName: "s"}
	cases := []struct {
		name   string
		in     string
		params map[string]string
		want   any
		err    string
	}{
		{"pseudo parameters in Sub", `!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"`, nil, "arn:aws:iam::123456789012:role/*", ""},
		{"GetAtt in Sub", `!Sub "${Fn.Arn}:*"`, nil, "arn:aws:lambda:eu-west-1:123456789012:function:s-Fn:*", ""},
		{"Sub with a variable map", `!Sub ["${X}/y", {X: !GetAtt Role.Arn}]`, nil, "arn:aws:iam::123456789012:role/s-Role/y", ""},
		{"a literal ${!…} stays", `!Sub "${!aws:username}"`, nil, "${aws:username}", ""},
		{"a policy variable in Sub is an error, as in CloudFormation", `!Sub "${aws:RequestTag/k}"`, nil, nil, "aws:RequestTag/k"},
		{"a plain string keeps its policy variable", `"${aws:RequestTag/k}"`, nil, "${aws:RequestTag/k}", ""},
		{"If true", `[!If [On, a, b]]`, nil, []any{"a"}, ""},
		{"If false, NoValue drops the element", `[x, !If [On, !Ref AWS::NoValue, b]]`, nil, []any{"x"}, ""},
		{"a parameter changes the condition", `!If [Off, a, b]`, map[string]string{"Mode": "off"}, "a", ""},
		{"And", `!If [Both, yes, no]`, nil, "yes", ""},
		{"Join, Select, Split", `!Join ["-", [!Select [1, !Split ["/", "a/b/c"]], !Ref Role]]`, nil, "b-s-Role", ""},
		{"unknown Ref", `!Ref Nope`, nil, nil, "unknown"},
		{"unknown intrinsic", `!Base64 x`, nil, nil, "not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := cfntemplate.Parse([]byte("V: " + c.in))
			if err != nil {
				t.Fatal(err)
			}
			dd := d
			dd.Params = c.params
			got, err := tpl.Resolve(v["V"], dd.Env(tpl))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v, %v; want %#v", got, err, c.want)
			}
		})
	}
}

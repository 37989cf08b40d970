package qbrolecdk

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// synthProps are the rendered properties as synth knows them.
type synthProps struct {
	// known are the values CDK has resolved, as JSON carries them (strings,
	// numbers, lists, objects); in a Tags entry, a token's place holds a
	// stand-in (tagStandIns), so the entry counts.
	known map[string]any
	// tokens are the properties whose value is a token, in name order.
	tokens []string
	// optional are those of tokens that may be absent at deploy.
	optional map[string]bool
	// refused are the errors of properties refused for their token's form
	// (arnAsID), in name order.
	refused []error
}

// idProperties take an id, which no ARN is.
var idProperties = []string{schema.PropApplicationID, schema.PropSubscriptionID, schema.PropIndexID, schema.PropKendraIndexID}

// readProperties reads props, each token by its CloudFormation form (the
// stack's Resolve): a Fn::Join env can evaluate is known (evaluate); one that
// reads an ARN attribute into an id property is refused (arnAsID); one that
// may resolve to AWS::NoValue is optional (mayBeAbsent).
func readProperties(c constructs.Construct, props map[string]any, env knownEnv) synthProps {
	raw, err := json.Marshal(props)
	if err != nil {
		panic(fmt.Sprintf("qbrole: rendering the properties: %v", err))
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		panic(fmt.Sprintf("qbrole: rendering the properties: %v", err))
	}
	sp := synthProps{known: make(map[string]any, len(generic)), optional: map[string]bool{}}
	stack := awscdk.Stack_Of(c)
	for _, k := range slices.Sorted(maps.Keys(generic)) {
		v := generic[k]
		if list, isList := v.([]any); isList {
			sp.known[k] = tagStandIns(list)
			continue
		}
		if !*awscdk.Token_IsUnresolved(v) {
			sp.known[k] = v
			continue
		}
		form := stack.Resolve(v)
		if s, ok := env.evaluate(form); ok {
			sp.known[k] = s
			continue
		}
		if err := arnAsID(k, form); err != nil {
			sp.refused = append(sp.refused, err)
		}
		sp.tokens = append(sp.tokens, k)
		sp.optional[k] = mayBeAbsent(form)
	}
	return sp
}

// tagStandIns is a Tags list with a stand-in in place of each token in an
// entry (a key unique in the list, a value the function accepts): an entry
// is there at deploy whatever its token comes to, so it counts towards the
// function's limit on tags.
func tagStandIns(list []any) []any {
	filled := make([]any, len(list))
	for i, e := range list {
		entry, ok := e.(map[string]any)
		if !ok {
			filled[i] = e
			continue
		}
		with := make(map[string]any, len(entry))
		for k, v := range entry {
			switch {
			case !*awscdk.Token_IsUnresolved(v):
				with[k] = v
			case k == "Key":
				with[k] = fmt.Sprintf("synth-stand-in-%d", i)
			default:
				with[k] = "stand-in"
			}
		}
		filled[i] = with
	}
	return filled
}

// mayBeAbsent tells whether a token's CloudFormation form may remove the
// property at deploy: a Fn::If with AWS::NoValue in a branch, which "removes
// the corresponding resource property" (AWS CloudFormation Template
// Reference, "Pseudo parameters reference", AWS::NoValue,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html).
func mayBeAbsent(form any) bool {
	m, _ := form.(map[string]any)
	if ref, ok := m["Ref"]; ok {
		return ref == "AWS::NoValue"
	}
	args, _ := m["Fn::If"].([]any)
	return len(args) == 3 && (mayBeAbsent(args[1]) || mayBeAbsent(args[2]))
}

// arnAsID refuses, naming the property, a token that reads an ARN attribute
// (Fn::GetAtt of an attribute whose name ends in Arn, in either branch of a
// Fn::If) into a property that takes an id: an application's
// AttrApplicationArn() for its AttrApplicationId(), neighbours in an IDE's
// completion list. The function refuses the ARN at deploy, after the
// resources before it were created (AWS::QBusiness::Application's return
// values: ApplicationArn, "The Amazon Resource Name (ARN) of the Amazon Q
// Business application", and ApplicationId, its identifier; AWS
// CloudFormation Template Reference,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-qbusiness-application.html).
func arnAsID(name string, form any) error {
	if !slices.Contains(idProperties, name) {
		return nil
	}
	resource, attribute, ok := arnAttribute(form)
	if !ok {
		return nil
	}
	id := strings.TrimSuffix(attribute, "Arn") + "Id"
	return &roles.PropertyError{Property: name, Message: fmt.Sprintf(
		"is %s's %s attribute, an ARN, not an id: give its %s attribute (Attr%s())", resource, attribute, id, id)}
}

// arnAttribute is the resource and attribute of a Fn::GetAtt whose attribute
// names an ARN, in form or in a branch of its Fn::If.
func arnAttribute(form any) (resource, attribute string, ok bool) {
	m, _ := form.(map[string]any)
	if args, _ := m["Fn::If"].([]any); len(args) == 3 {
		if resource, attribute, ok = arnAttribute(args[1]); ok {
			return resource, attribute, ok
		}
		return arnAttribute(args[2])
	}
	args, _ := m["Fn::GetAtt"].([]any)
	if len(args) != 2 {
		return "", "", false
	}
	resource, _ = args[0].(string)
	attribute, _ = args[1].(string)
	return resource, attribute, strings.HasSuffix(attribute, "Arn")
}

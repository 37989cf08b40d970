package roles

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestDiffTags(t *testing.T) {
	iamTag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	cases := []struct {
		name       string
		actual     []types.Tag
		want       []Tag
		set        []Tag
		removeKeys []string
	}{
		{"unchanged", []types.Tag{iamTag("Team", "a")}, []Tag{{"Team", "a"}}, nil, nil},
		{"new and changed", []types.Tag{iamTag("a", "1")}, []Tag{{"a", "2"}, {"b", "3"}}, []Tag{{"a", "2"}, {"b", "3"}}, nil},
		{"removed", []types.Tag{iamTag("a", "1"), iamTag("Gone", "x")}, []Tag{{"a", "1"}}, nil, []string{"Gone"}},
		// IAM tag keys are case-insensitive: TagRole replaces the tag, an UntagRole of
		// the old spelling would remove it again.
		{"only the key's case changed", []types.Tag{iamTag("Team", "a")}, []Tag{{"team", "a"}}, []Tag{{"team", "a"}}, nil},
		{"key case and value changed", []types.Tag{iamTag("TEAM", "a")}, []Tag{{"team", "b"}}, []Tag{{"team", "b"}}, nil},
		{"removal keeps the role's spelling", []types.Tag{iamTag("Old", "x")}, nil, nil, []string{"Old"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, remove := diffTags(c.actual, c.want)
			if !reflect.DeepEqual(set, c.set) || !reflect.DeepEqual(remove, c.removeKeys) {
				t.Errorf("set %v remove %v, want set %v remove %v", set, remove, c.set, c.removeKeys)
			}
		})
	}
}

package roles

import "testing"

// BenchmarkParseSpecAndRender is the CPU work of a request before IAM:
// validating the properties and building both policy documents.
func BenchmarkParseSpecAndRender(b *testing.B) {
	props := map[string]any{"RoleName": "r", "MaxSessionDuration": "7200", "ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
		"Tags": []any{map[string]any{"Key": "team", "Value": "platform"}}}
	for b.Loop() {
		s, err := ParseSpec(props, testStack, "AppRole")
		if err != nil {
			b.Fatal(err)
		}
		_ = s.TrustPolicy().JSON()
		_ = s.PermissionsPolicy().JSON()
	}
}

// BenchmarkSameDocument is the comparison an Update makes per policy.
func BenchmarkSameDocument(b *testing.B) {
	s, _ := ParseSpec(map[string]any{}, testStack, "AppRole")
	doc := s.PermissionsPolicy()
	actual := doc.JSON()
	for b.Loop() {
		if !SameDocument(actual, doc) {
			b.Fatal("differs")
		}
	}
}

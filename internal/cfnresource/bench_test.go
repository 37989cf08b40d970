package cfnresource

import (
	"os"
	"testing"
)

// BenchmarkDecode decodes a real-shaped CloudFormation event.
func BenchmarkDecode(b *testing.B) {
	raw, err := os.ReadFile("../../events/update-application-role.json")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

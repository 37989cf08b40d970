package schema_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/schema"
)

func TestOwnershipTagsCarryThePrefix(t *testing.T) {
	for _, k := range []string{schema.TagStackID, schema.TagLogicalID} {
		if !strings.HasPrefix(k, schema.TagPrefix) || k == schema.TagPrefix {
			t.Errorf("ownership tag %q does not extend the reserved prefix %q", k, schema.TagPrefix)
		}
	}
	if !strings.Contains(schema.ServiceLinkedRolePath, "/"+schema.ServicePrincipal+"/") {
		t.Errorf("service-linked role path %q does not name %q", schema.ServiceLinkedRolePath, schema.ServicePrincipal)
	}
}

func TestPropertySetsAreDisjoint(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range slices.Concat(schema.CommonProperties(), schema.RoleProperties()) {
		if seen[p] {
			t.Errorf("property %s is listed twice", p)
		}
		seen[p] = true
	}
}

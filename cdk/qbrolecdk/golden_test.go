//go:build integration

package qbrolecdk

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// update rewrites the golden templates instead of comparing with them:
//
//	go test -tags integration ./cdk/qbrolecdk -run 'TestTemplateGolden|TestRoleTypesTemplateGolden' -update
var update = flag.Bool("update", false, "rewrite the golden templates in testdata from the synthesized ones")

// The golden templates: goldenStack's, and roleTypesGoldenStack's.
const (
	goldenTemplate          = "testdata/template.golden.json"
	roleTypesGoldenTemplate = "testdata/roletypes.golden.json"
)

// assetHashPlaceholder stands for the hash of the function's code asset.
const assetHashPlaceholder = "ASSET_HASH"

// assetKey is the S3 key CDK gives a file asset: its hash and .zip.
var assetKey = regexp.MustCompile(`^([0-9a-f]{64})\.zip$`)

// goldenStack is a representative stack: the stack's own provider (function,
// execution role, its policy, log group), an application role with every
// property set, a service-linked role with every property that type takes,
// and an application role on a shared provider (by the provider stack's
// export); every attribute of each role (Arn, RoleName, RoleId) and the
// provider's ServiceToken in outputs. Bundling is skipped (the asset hash is
// normalized anyway, see normalizeTemplate).
func goldenStack() awscdk.Stack {
	_, stack := newStack(false, "")
	app := NewQBusinessRole(stack, "Application", &QBusinessRoleProps{
		RoleType: ApplicationRole, RoleName: jsii.String("qbrole-golden"), Path: jsii.String("/qbrole/"),
		Description:   jsii.String("Role of the golden Q Business application"),
		ApplicationId: jsii.String("a1b2c3d4-e5f6-7890-abcd-ef1234567890"), SubscriptionId: jsii.String("sub-0123456789"),
		Region: jsii.String("eu-west-1"), SourceAccount: jsii.String("444455556666"), PolicyName: jsii.String("GoldenPolicy"),
		PermissionsBoundary: jsii.String("arn:aws:iam::aws:policy/PowerUserAccess"),
		MaxSessionDuration:  awscdk.Duration_Hours(jsii.Number(2)),
		Tags:                map[string]string{"team": "search", "env": "test"},
		OnDelete:            RetainRole,
		ServiceTimeout:      awscdk.Duration_Minutes(jsii.Number(12)),
	})
	slr := NewQBusinessRole(stack, "ServiceLinked", &QBusinessRoleProps{
		RoleType: ServiceLinkedRole, Description: jsii.String("Q Business service-linked role"), OnDelete: DeleteRole,
	})
	shared := NewQBusinessRole(stack, "Shared", &QBusinessRoleProps{ProviderExportName: jsii.String("qbrole-provider-ServiceToken")})
	output := func(id string, v *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v})
	}
	for _, r := range []*QBusinessRole{app, slr, shared} {
		name := *r.Node().Id()
		output(name+"Arn", r.RoleArn())
		output(name+"RoleName", r.RoleName())
		output(name+"RoleId", r.RoleId())
	}
	output("ServiceToken", app.Provider.ServiceToken())
	return stack
}

// normalizeTemplate replaces what legitimately varies between runs and
// machines, and only that: the hash of the function's code asset. Bundled, it
// is the hash of the built bootstrap (Go version, module cache, the code
// itself); with bundling skipped, one CDK derives from the construct path. It
// is taken from the function's Code.S3Key (<hash>.zip, in the bootstrap
// stack's asset bucket) and replaced by ASSET_HASH wherever it occurs (the S3
// key, asset metadata when enabled). Everything else is kept verbatim,
// including the BootstrapVersion parameter and CheckBootstrapVersion rule: they
// depend only on the aws-cdk-lib version pinned in go.mod, not on the run.
func normalizeTemplate(t *testing.T, tpl map[string]any) map[string]any {
	t.Helper()
	var hashes []string
	for id, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] != "AWS::Lambda::Function" {
			continue
		}
		code, _ := res["Properties"].(map[string]any)["Code"].(map[string]any)
		key, _ := code["S3Key"].(string)
		m := assetKey.FindStringSubmatch(key)
		if m == nil {
			t.Fatalf("%s: Code.S3Key %v is not <asset hash>.zip", id, code["S3Key"])
		}
		hashes = append(hashes, m[1])
	}
	if len(hashes) == 0 {
		t.Fatal("no function with a code asset in the template")
	}
	raw, err := json.Marshal(tpl)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, h := range hashes {
		s = strings.ReplaceAll(s, h, assetHashPlaceholder)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The whole synthesized template is the committed one (keys sorted, two-space
// indent), but for the asset hash: a refactoring of the construct changes no
// resource, property, dependency, metadata or output.
func TestTemplateGolden(t *testing.T) {
	compareGolden(t, goldenTemplate, normalizeTemplate(t, *template(goldenStack()).ToJSON()))
}

// compareGolden compares the template got with the golden file, or, with
// -update, writes it there.
func compareGolden(t *testing.T, file string, got map[string]any) {
	t.Helper()
	gotJSON, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	gotJSON = append(gotJSON, '\n')
	if *update {
		if err := os.WriteFile(file, gotJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", file)
		return
	}
	wantJSON, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(gotJSON, wantJSON) {
		return
	}
	var want any
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	t.Errorf("the synthesized template differs from %s\n%s\n%s\n"+
		"(if the change is intended: go test -tags integration ./cdk/qbrolecdk -run %s -update)",
		file, firstDiffPath("", jsonRoundTrip(t, got), want), firstDiffLine(file, string(gotJSON), string(wantJSON)), t.Name())
}

func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// firstDiffPath names the first place (keys in sorted order) where the
// decoded templates differ, with both values.
func firstDiffPath(path string, got, want any) string {
	show := func(v any) string {
		b, _ := json.Marshal(v)
		if len(b) > 300 {
			return string(b[:300]) + "…"
		}
		return string(b)
	}
	switch g := got.(type) {
	case map[string]any:
		w, ok := want.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(g)+len(w))
		for k := range g {
			keys = append(keys, k)
		}
		for k := range w {
			if _, dup := g[k]; !dup {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			gv, gok := g[k]
			wv, wok := w[k]
			switch {
			case !wok:
				return fmt.Sprintf("first difference at %s.%s: synthesized %s, golden has no such key", path, k, show(gv))
			case !gok:
				return fmt.Sprintf("first difference at %s.%s: golden %s, synthesized has no such key", path, k, show(wv))
			case !reflect.DeepEqual(gv, wv):
				return firstDiffPath(path+"."+k, gv, wv)
			}
		}
		return ""
	case []any:
		w, ok := want.([]any)
		if !ok {
			break
		}
		for i := range min(len(g), len(w)) {
			if !reflect.DeepEqual(g[i], w[i]) {
				return firstDiffPath(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])
			}
		}
		if len(g) != len(w) {
			return fmt.Sprintf("first difference at %s: synthesized has %d elements, golden %d", path, len(g), len(w))
		}
		return ""
	}
	if reflect.DeepEqual(got, want) {
		return ""
	}
	return fmt.Sprintf("first difference at %s:\n  synthesized %s\n  golden      %s", path, show(got), show(want))
}

// firstDiffLine is the first differing line of the two JSON texts, with its
// number and a line of context before it.
func firstDiffLine(file, got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		gl, wl := "<end of file>", "<end of file>"
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			prev := ""
			if i > 0 && i-1 < len(w) {
				prev = fmt.Sprintf("  %d  %s\n", i, w[i-1])
			}
			return fmt.Sprintf("first differing line %d of %s:\n%s- %d  %s\n+ %d  %s", i+1, file, prev, i+1, wl, i+1, gl)
		}
	}
	return "the texts differ only in bytes that do not split into lines"
}

package schema_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/schema"
)

// A spelling is a string of the vocabulary that only its owner may write as
// a literal.
type spelling struct {
	value string
	// whole: only a literal that is value as a whole spells it (the tag
	// prefix, which messages such as "qbrole: …" begin with too); else a
	// literal spells value when it contains it as a word of its own.
	whole bool
	// owner is the one non-test file, relative to the repository, that
	// spells value; "" for internal/schema.
	owner string
}

// The PhysicalResourceId markers' file: each marker is parsed and formatted
// there, and nowhere else.
const physid = "internal/roles/physid.go"

func vocabulary() []spelling {
	words := []spelling{{value: schema.ResourceType}}
	for _, t := range schema.RoleTypes() {
		words = append(words, spelling{value: string(t)})
	}
	return append(words, []spelling{
		{value: schema.TagPrefix, whole: true},
		{value: schema.TagStackID},
		{value: schema.TagLogicalID},
		{value: schema.ServicePrincipal},
		{value: schema.ServiceLinkedRoleName},
		{value: schema.ServiceLinkedRolePath},
		{value: "qbrole:adopted:", owner: physid},
		{value: "qbrole:slr-pending:", owner: physid},
		{value: "qbrole:create-failed-role:", owner: physid},
		{value: "qbrole:create-failed:", owner: physid},
	}...)
}

func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// spells reports whether the string literal lit spells s.value: as a whole
// word, so that iam:CreateServiceLinkedRole is not the RoleType value
// ServiceLinkedRole, while a prefix ending in ':' or '/' may be followed by
// anything.
func (s spelling) spells(lit string) bool {
	if s.whole {
		return lit == s.value
	}
	v := s.value
	for i := 0; ; {
		j := strings.Index(lit[i:], v)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(v)
		before := start == 0 || !isWordByte(v[0]) || !isWordByte(lit[start-1])
		after := end == len(lit) || !isWordByte(v[len(v)-1]) || !isWordByte(lit[end])
		if before && after {
			return true
		}
		i = start + 1
	}
}

// literal is one string literal of a Go file.
type literal struct {
	pos   token.Position
	value string
}

// stringLiterals returns the string literals of a Go source file, a
// concatenation of literals ("qbusiness." + "amazonaws.com") as the one
// string it makes. Comments are not parsed, so they may mention the
// vocabulary.
func stringLiterals(t *testing.T, fset *token.FileSet, name string, src any) []literal {
	t.Helper()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []literal
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		e, ok := n.(ast.Expr)
		if !ok {
			return true
		}
		if v, ok := concatenation(t, fset, e); ok {
			out = append(out, literal{fset.Position(e.Pos()), v})
			return false
		}
		b, ok := e.(*ast.BinaryExpr)
		if !ok || b.Op != token.ADD {
			return true
		}
		// x + "qbusiness." + "amazonaws.com" groups as (x + "…") + "…":
		// each run of literals in the chain of + is one string.
		var run []string
		var at token.Pos
		flush := func() {
			if len(run) > 0 {
				out = append(out, literal{fset.Position(at), strings.Join(run, "")})
				run = nil
			}
		}
		for _, operand := range plusOperands(b) {
			if v, ok := concatenation(t, fset, operand); ok {
				if len(run) == 0 {
					at = operand.Pos()
				}
				run = append(run, v)
				continue
			}
			flush()
			ast.Inspect(operand, visit)
		}
		flush()
		return false
	}
	ast.Inspect(f, visit)
	return out
}

// plusOperands are the operands of a chain of +, left to right.
func plusOperands(e ast.Expr) []ast.Expr {
	if p, ok := e.(*ast.ParenExpr); ok {
		e = p.X
	}
	if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
		return append(plusOperands(b.X), plusOperands(b.Y)...)
	}
	return []ast.Expr{e}
}

// concatenation is the string e spells when it is a string literal, or
// literals joined with + (in parentheses or not); ok is false otherwise.
func concatenation(t *testing.T, fset *token.FileSet, e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		v, err := strconv.Unquote(e.Value)
		if err != nil {
			t.Fatalf("%s: %v", fset.Position(e.Pos()), err)
		}
		return v, true
	case *ast.ParenExpr:
		return concatenation(t, fset, e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		x, ok := concatenation(t, fset, e.X)
		if !ok {
			return "", false
		}
		y, ok := concatenation(t, fset, e.Y)
		return x + y, ok
	}
	return "", false
}

// repoRoot is the module's root directory: two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(mod), "module github.com/qbrole/qbrole\n") {
		t.Fatalf("%s is not the qbrole module's root (%v)", root, err)
	}
	return root
}

// shippingFiles returns the repository's non-test Go files, relative to
// root, leaving out dot directories and testdata.
func shippingFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Each string of the vocabulary is spelled in one non-test file: its owner.
// Everything else takes it from there (internal/schema, or for the
// PhysicalResourceId markers the file that parses them).
func TestVocabularyIsSpelledOnce(t *testing.T) {
	root := repoRoot(t)
	files := shippingFiles(t, root)
	if !slices.Contains(files, "internal/schema/schema.go") || !slices.Contains(files, physid) || len(files) < 50 {
		t.Fatalf("the walk of %s found %d files, not the repository's: %v", root, len(files), files)
	}
	vocab := vocabulary()
	found := map[string]map[string]bool{} // value → files that spell it
	fset := token.NewFileSet()
	for _, file := range files {
		owned := strings.HasPrefix(file, "internal/schema/")
		for _, lit := range stringLiterals(t, fset, filepath.Join(root, file), nil) {
			for _, s := range vocab {
				if !s.spells(lit.value) {
					continue
				}
				if found[s.value] == nil {
					found[s.value] = map[string]bool{}
				}
				found[s.value][file] = true
				if owned && s.owner == "" || file == s.owner {
					continue
				}
				where := "internal/schema"
				if s.owner != "" {
					where = s.owner
				}
				t.Errorf("%s:%d: %q spells %q, which only %s may; use its name instead",
					file, lit.pos.Line, abridged(lit.value), s.value, where)
			}
		}
	}
	// An owner that no longer spells its string is a stale entry: the walk
	// would pass without looking for the string where it now lives.
	for _, s := range vocab {
		if s.owner != "" && !found[s.value][s.owner] {
			t.Errorf("%q is no longer spelled in %s: name its new owner in vocabulary()", s.value, s.owner)
		}
	}
}

func TestSpellsWholeWordsOfLiteralsOnly(t *testing.T) {
	slr := spelling{value: string(schema.ServiceLinkedRole)}
	prefix := spelling{value: schema.TagPrefix, whole: true}
	adopted := spelling{value: "qbrole:adopted:"}
	cases := []struct {
		s    spelling
		lit  string
		want bool
	}{
		{slr, "ServiceLinkedRole", true},
		{slr, "is not supported when RoleType is ServiceLinkedRole", true},
		{slr, "iam:CreateServiceLinkedRole", false},
		{slr, "ServiceLinkedRoles", false},
		{slr, "CreateServiceLinkedRole or ServiceLinkedRole", true},
		{spelling{value: schema.TagStackID}, "${aws:RequestTag/qbrole:stack-id}", true},
		{spelling{value: schema.ServicePrincipal}, "arn:aws:iam::1:role/aws-service-role/qbusiness.amazonaws.com/X", true},
		{spelling{value: schema.ServicePrincipal}, "elasticbeanstalk.amazonaws.com", false},
		{prefix, "qbrole:", true},
		{prefix, "qbrole: cannot find the module", false},
		{adopted, "qbrole:adopted:MyRole", true},
		{adopted, "xqbrole:adopted:", false},
	}
	for _, c := range cases {
		if got := c.s.spells(c.lit); got != c.want {
			t.Errorf("spelling %q in %q = %v, want %v", c.s.value, c.lit, got, c.want)
		}
	}

	src := `package p

// A comment may say ServiceLinkedRole and qbusiness.amazonaws.com.
const a = "ServiceLinkedRole"

var b = []string{` + "`qbusiness.amazonaws.com`" + `}

var c = "qbrole:stack-" + ("i" + "d")

var d = "AWSServiceRoleFor" + x + "QBusiness"

var e = x + "qbusiness." + "amazonaws.com" + f("a" + "b")
`
	var got []string
	for _, lit := range stringLiterals(t, token.NewFileSet(), "p.go", src) {
		got = append(got, lit.value)
	}
	want := []string{"ServiceLinkedRole", "qbusiness.amazonaws.com", "qbrole:stack-id", "AWSServiceRoleFor", "QBusiness",
		"qbusiness.amazonaws.com", "ab"}
	if !slices.Equal(got, want) {
		t.Errorf("literals %q, want %q (comments are not literals; a concatenation of literals is one)", got, want)
	}
}

// abridged shortens a long literal for a message.
func abridged(s string) string {
	if len(s) > 100 {
		return s[:97] + "..."
	}
	return s
}

package roles

// RoleTypeForm is one form of a role type, as the golden tests render it
// (kindCases): the lifecycle and evaluator tests (package roles_test) take
// the same properties from here rather than spelling them again.
type RoleTypeForm struct {
	Name  string
	Props map[string]any
}

// RoleTypeForms is every form of the role types kindCases renders (a
// data-source role generic, with a secret and for S3; a plugin role; a
// retriever role), with stack's partition, region and account in its ARNs.
// Each call returns fresh maps.
func RoleTypeForms(stack Stack) []RoleTypeForm {
	var forms []RoleTypeForm
	for _, c := range kindCases(stack) {
		props := make(map[string]any, len(c.props))
		for k, v := range c.props {
			props[k] = v
		}
		forms = append(forms, RoleTypeForm{Name: c.name, Props: props})
	}
	return forms
}

// The ids kindCases uses, for the external tests.
const (
	FormApplicationID = kindApp
	FormIndexID       = kindIndex
	FormKendraIndexID = kindKendra
	FormSecretID      = kindSecret
)

package modules

import "testing"

// A YAML boolean given to a string argument with choices becomes the one
// choice that spells it (apt's upgrade: true is yes), as AnsibleModule's
// _validate_argument_values does (module_utils/common/parameters.py 2.14,
// lines 676-684: 'True' against BOOLEANS_TRUE ∩ choices when that holds
// exactly one). ferry keeps a string argument's text as written, so the
// text true counts as the boolean.
func TestBooleanGivenToChoices(t *testing.T) {
	spec := Spec{Name: "t", Args: []Arg{
		{Name: "upgrade", Type: String, Choices: []string{"dist", "full", "no", "safe", "yes"}},
		{Name: "both", Type: String, Choices: []string{"yes", "on"}},
	}}
	for value, want := range map[any]string{true: "yes", false: "no", "True": "yes", "true": "yes", "False": "no", "safe": "safe"} {
		args, err := spec.Bind(map[string]any{"upgrade": value})
		if err != nil || args["upgrade"] != want {
			t.Errorf("upgrade: %v gave %v, %v; want %q", value, args["upgrade"], err, want)
		}
	}
	for _, bad := range []map[string]any{{"upgrade": "maybe"}, {"both": true}} {
		if _, err := spec.Bind(bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

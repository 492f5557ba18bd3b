package cli

import "testing"

// A refusal without a terminal repeats the command line as given, shell
// quoted, with --yes instead of --dry-run/--execute, so it runs as is.
func TestRerunLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "kctl apply --yes"},
		{[]string{"apply", "--env", "prod", "-f", "my topics.yaml"}, "kctl apply --env prod -f 'my topics.yaml' --yes"},
		{[]string{"truncate", "t:0,1", "--before", "5", "--dry-run"}, "kctl truncate t:0,1 --before 5 --yes"},
		{[]string{"groups", "reset", "g", "--topic", "t", "--to-offset", "3", "--execute"}, "kctl groups reset g --topic t --to-offset 3 --yes"},
		{[]string{"consume", "--where", `value.x == "it's"`}, `kctl consume --where 'value.x == "it'\''s"' --yes`},
	} {
		if got := (Prompter{Args: tc.args}).rerun("apply"); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.args, got, tc.want)
		}
	}
}

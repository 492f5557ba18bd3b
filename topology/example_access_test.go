package topology

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesAccessFile keeps examples/access.yaml, the file the manual's
// access page (docs/access.md) runs every command with, valid without a
// warning and declaring what the page's output counts; and the page shows it
// in full, as it is.
func TestExamplesAccessFile(t *testing.T) {
	path := filepath.Join("..", "examples", "access.yaml")
	f, diags, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 0 {
		t.Fatalf("%s: diagnostics: %v", path, diags)
	}
	if len(f.Topics) != 2 || len(f.ACLs) != 9 || len(f.Users) != 2 || len(f.Quotas) != 1 || len(f.Environments) != 0 {
		t.Errorf("%s declares %d topics, %d ACLs, %d users, %d quotas, %d environments; docs/access.md says 2, 9, 2, 1 and none",
			path, len(f.Topics), len(f.ACLs), len(f.Users), len(f.Quotas), len(f.Environments))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join("..", "docs", "access.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "```yaml\n"+string(data)+"```\n") {
		t.Errorf("docs/access.md does not show %s as it is: paste the file into it", path)
	}
}

package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCreateListFind(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".ferry", "journal")
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	first, err := Create(dir, Header{Time: at, Playbook: "site.yml"})
	if err != nil {
		t.Fatal(err)
	}
	first.Record(map[string]string{"event": "task_start"})
	if err := first.Close(2); err != nil {
		t.Fatal(err)
	}
	// Same millisecond: a second name that still sorts after the first.
	second, err := Create(dir, Header{Time: at, Playbook: "site.yml", Resumes: first.ID()})
	if err != nil {
		t.Fatal(err)
	}
	second.Record(map[string]string{"event": "task_start"})
	// No Close: the run was killed; half a line is left at the end.
	_, _ = second.Write([]byte(`{"event":"host_res`))

	runs, err := List(dir)
	if err != nil || len(runs) != 2 {
		t.Fatalf("List: %v %v", runs, err)
	}
	if runs[0].ID != first.ID() || runs[0].Status() != "failed" || runs[1].Status() != "interrupted" || runs[1].Resumes != first.ID() {
		t.Errorf("runs: %+v", runs)
	}
	if last, err := Find(dir, "last"); err != nil || last.ID != second.ID() {
		t.Errorf("last = %v %v", last.ID, err)
	}
	if _, err := Find(dir, "nope"); err == nil || !strings.Contains(err.Error(), "ferry log") {
		t.Errorf("unknown run: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, first.ID()+".jsonl")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if _, err := Find(t.TempDir(), "last"); err == nil {
		t.Error("Find in an empty directory")
	}
}

package harvest

import (
	"strings"
	"testing"
	"time"
)

func TestAcquireLock(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2008, 11, 20, 22, 0, 0, 0, time.UTC)
	l, err := acquireLock(dir, "db-a", now)
	if err != nil {
		t.Fatal(err)
	}
	// A second run on the same database is refused, naming the holder.
	if _, err := acquireLock(dir, "db-a", now); err == nil || !strings.Contains(err.Error(), "another harvest scan") ||
		!strings.Contains(err.Error(), "started 2008-11-20T22:00:00Z") {
		t.Fatalf("second lock: %v, want a refusal naming the first run", err)
	}
	// Another database is independent.
	other, err := acquireLock(dir, "db-b", now)
	if err != nil {
		t.Fatalf("lock of another database: %v", err)
	}
	other.Unlock()
	// Released, it can be taken again.
	l.Unlock()
	l, err = acquireLock(dir, "db-a", now)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l.Unlock()
}

package harvest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runLock keeps two scans of one database from overlapping (cron starting
// a run while the last one still waits on a slow webhook).
type runLock struct {
	release func()
}

// Unlock releases the lock.
func (l *runLock) Unlock() { l.release() }

// acquireLock takes the scan lock of the database named dsn, in dir (the
// state directory), or fails at once naming who holds it.
func acquireLock(dir, dsn string, now time.Time) (*runLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("harvest scan lock: %w", err)
	}
	sum := sha256.Sum256([]byte(dsn))
	path := filepath.Join(dir, "harvest-scan-"+hex.EncodeToString(sum[:6])+".lock")
	f, release, held, err := lockFile(path)
	if err != nil {
		return nil, fmt.Errorf("harvest scan lock %s: %w", path, err)
	}
	if held {
		who := "another process"
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			who = strings.Join(strings.Fields(string(b)), " ")
		}
		return nil, fmt.Errorf("another harvest scan of this database is running (%s; lock %s): let it finish, or schedule runs further apart", who, path)
	}
	// Say who holds it, for the message above. Best effort.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d, started %s\n", os.Getpid(), now.UTC().Format(time.RFC3339))), 0)
	}
	return &runLock{release: release}, nil
}

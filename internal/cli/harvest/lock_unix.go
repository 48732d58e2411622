//go:build unix

package harvest

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on path without waiting. The kernel
// drops the lock when the process ends, however it ends (kill -9, a crash),
// so it is never left stale; the file itself stays and is reused.
func lockFile(path string) (f *os.File, release func(), held bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil, true, nil
		}
		return nil, nil, false, err
	}
	return f, func() { _ = f.Close() }, false, nil
}

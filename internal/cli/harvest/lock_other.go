//go:build !unix

package harvest

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// staleLock is the age past which a marker file is taken to be left over
// from a run that died: no scan takes anywhere near this long.
const staleLock = 6 * time.Hour

// lockFile creates path exclusively (O_EXCL): systems without flock(2) get
// a marker file, removed on release. A marker older than staleLock is
// removed and the lock taken.
func lockFile(path string) (f *os.File, release func(), held bool, err error) {
	for try := 0; try < 2; try++ {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, func() { _ = f.Close(); _ = os.Remove(path) }, false, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, nil, false, err
		}
		st, serr := os.Stat(path)
		if serr != nil || time.Since(st.ModTime()) < staleLock {
			return nil, nil, true, nil
		}
		_ = os.Remove(path)
	}
	return nil, nil, true, nil
}

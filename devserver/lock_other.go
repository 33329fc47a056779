//go:build !unix

package devserver

import (
	"fmt"
	"path/filepath"
	"sync"
)

// Without flock(2), dirLock only guards against a second server on the same
// data folder in this process; a second process is not detected.
type dirLock struct {
	dir string
}

var (
	lockedMu   sync.Mutex
	lockedDirs = map[string]bool{}
)

func lockDataDir(dir string) (*dirLock, error) {
	dir = filepath.Clean(dir)
	lockedMu.Lock()
	defer lockedMu.Unlock()
	if lockedDirs[dir] {
		return nil, fmt.Errorf("%w: %s", ErrDataDirInUse, dir)
	}
	lockedDirs[dir] = true
	return &dirLock{dir: dir}, nil
}

func (l *dirLock) release() {
	lockedMu.Lock()
	defer lockedMu.Unlock()
	delete(lockedDirs, l.dir)
}

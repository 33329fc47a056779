//go:build unix

package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

const lockFileName = "temporal.lock"

// dirLock is an exclusive flock(2) on a file in the data folder. The lock
// belongs to the open file, not to the process, so a second Start in the
// same process is refused as well as one in another process; the kernel
// drops it when the process dies, so a crash leaves no stale lock behind.
type dirLock struct {
	file *os.File
}

func lockDataDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked", ErrDataDirInUse, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &dirLock{file: f}, nil
}

// release unlocks the data folder; closing the file drops the flock.
func (l *dirLock) release() {
	_ = l.file.Close()
}

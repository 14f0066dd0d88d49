//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive advisory lock on dir for the generation of a
// demo city, so that two 'citygrid demo' runs on one directory cannot
// write the same temporary store. The lock goes with the process, also
// when it is killed.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".citygrid.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another citygrid is generating the demo city in %s; wait for it or use another --dir", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// lockServing takes the serving lock of dir: shared by every server of the
// directory for as long as it runs, exclusive for a restore, so a restore
// never swaps the store under a running server. Both fail at once instead
// of waiting.
func lockServing(dir string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".citygrid.serving"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil && !exclusive && errors.Is(err, syscall.EROFS) {
		// A read-only directory cannot be restored into either: serve
		// it (read-only) without the lock.
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if exclusive {
				return nil, fmt.Errorf("a citygrid server is serving %s; stop it first", dir)
			}
			return nil, fmt.Errorf("a restore is replacing the store in %s; start the server when it is done", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

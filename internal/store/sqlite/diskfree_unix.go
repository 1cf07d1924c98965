//go:build unix

package sqlite

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DiskFree returns the bytes available to this process on the file system
// holding the database, or -1 when it cannot be read. A full disk makes
// every commit fail (submissions answer 500 until space is freed), so
// operators alert on this long before it reaches zero.
func (db *DB) DiskFree() int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(filepath.Dir(db.path), &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

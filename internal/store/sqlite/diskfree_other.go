//go:build !unix

package sqlite

// DiskFree is not measured on this platform: -1.
func (db *DB) DiskFree() int64 { return -1 }

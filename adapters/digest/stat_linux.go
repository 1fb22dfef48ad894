//go:build linux

package digest

import (
	"os"
	"syscall"
)

// sysStamp adds the inode, device and change time (which no program can set
// back) to st.
func sysStamp(fi os.FileInfo, st *stamp) {
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Inode, st.Dev = s.Ino, uint64(s.Dev) //nolint:unconvert // Dev is uint32 on some GOARCHes (mips)
		st.CtimeNS = s.Ctim.Nano()
	}
}

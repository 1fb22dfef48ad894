package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CompleteMarker is the file FillDir writes last into a folder it fills:
// a folder with it is complete.
const CompleteMarker = ".complete"

// DirComplete reports whether dir holds CompleteMarker.
func DirComplete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, CompleteMarker))
	return err == nil
}

// FillDir makes dir a complete folder, once: when dir is complete
// (DirComplete) it does nothing; else fill writes the files into a fresh
// temporary folder beside dir, marker is written into it as
// CompleteMarker, and the folder is renamed to dir. A crash never leaves
// half a folder under dir's name; of concurrent callers the first rename
// wins and the others find dir complete and drop their copy; a damaged
// earlier copy (no marker) is replaced. Errors name dir.
func FillDir(dir string, marker []byte, fill func(tmp string) error) error {
	if DirComplete(dir) {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("fill %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+"-*")
	if err != nil {
		return fmt.Errorf("fill %s: %w", dir, err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // nothing left after the rename
	if err := fill(tmp); err != nil {
		return fmt.Errorf("fill %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, CompleteMarker), marker, 0o644); err != nil {
		return fmt.Errorf("fill %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if DirComplete(dir) { // another process won the race
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			_ = os.RemoveAll(dir) // a damaged earlier copy
			if err := os.Rename(tmp, dir); err == nil {
				return nil
			}
		}
		return fmt.Errorf("fill %s: %w", dir, err)
	}
	return nil
}

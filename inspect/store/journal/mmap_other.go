//go:build !linux

package journal

import "os"

// mapSegment maps journal segments on Linux only, where fallocate makes a
// full disk fail up front; elsewhere the journal writes with pwrite.
func mapSegment(*os.File, int) []byte { return nil }

func unmapSegment([]byte) {}
